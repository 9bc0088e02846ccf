#!/bin/bash
# quokka-api serves the Quokka REST API.
QUOKKA_UWSGI=$QUOKKA_BIN_DIR/quokka-api-wsgi
QUOKKA_UWSGI_FILE=$QUOKKA_CONF_DIR/uwsgi.ini
QUOKKA_USE_MOD_WSGI=${QUOKKA_USE_MOD_WSGI:-True}

function configure_quokka {
    iniset "$QUOKKA_UWSGI_FILE" uwsgi wsgi-file "$QUOKKA_BIN_DIR/quokka-api"
    sudo sed -e "s|%WSGIAPP%|$QUOKKA_BIN_DIR/quokka-api|g;" -i /etc/apache2/sites-available/quokka.conf
}

function start_quokka {
    if is_service_enabled quokka-api; then
        run_process quokka-api "$QUOKKA_BIN_DIR/uwsgi $QUOKKA_UWSGI_FILE"
    else
        run_process quokka-api "$QUOKKA_BIN_DIR/quokka-api --port 8999"
    fi
    tail_log quokka-api /var/log/quokka/api.log
}
