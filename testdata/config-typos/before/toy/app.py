def init_application():
    return None
