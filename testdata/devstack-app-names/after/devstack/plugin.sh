HEAT_API_UWSGI=heat.wsgi.api:application
HEAT_API_UWSGI_CONF=$HEAT_CONF_DIR/heat-api-uwsgi.ini

function start_heat {
    write_uwsgi_config "$HEAT_API_UWSGI_CONF" "$HEAT_API_UWSGI" "/heat-api" "" "heat-wsgi-api"
}

function stop_heat {
    remove_uwsgi_config "$HEAT_API_UWSGI_CONF" "heat-wsgi-api"
    remove_uwsgi_config "$HEAT_API_UWSGI_CONF" "heat-api"
}
