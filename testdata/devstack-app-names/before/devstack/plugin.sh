HEAT_API_UWSGI=$HEAT_BIN_DIR/heat-wsgi-api
HEAT_API_UWSGI_CONF=$HEAT_CONF_DIR/heat-api-uwsgi.ini

function start_heat {
    write_uwsgi_config "$HEAT_API_UWSGI_CONF" "$HEAT_API_UWSGI" "/heat-api"
}

function stop_heat {
    remove_uwsgi_config "$HEAT_API_UWSGI_CONF" "$HEAT_API_UWSGI"
    remove_uwsgi_config "$HEAT_API_UWSGI_CONF" "heat-api"
}
