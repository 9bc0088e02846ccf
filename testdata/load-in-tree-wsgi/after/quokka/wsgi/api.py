from quokka.api import app

application = app.load_app()
