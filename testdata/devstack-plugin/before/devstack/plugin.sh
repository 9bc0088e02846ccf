#!/bin/bash
# plugin.sh - DevStack plugin for toy

function configure_toy {
    write_uwsgi_config "$TOY_UWSGI_CONF" "$TOY_UWSGI" "/toy"
    write_local_uwsgi_http_config "$TOY_ALT_CONF" "$TOY_ALT_WSGI" "/toy-alt"
    iniset $TOY_UWSGI_CONF uwsgi wsgi-file $TOY_BIN_DIR/toy-api-wsgi
}

function start_toy {
    run_process toy-api "$TOY_BIN_DIR/toy-api-wsgi --port 8080"
}

function cleanup_toy {
    remove_uwsgi_config "$TOY_UWSGI_CONF" "$TOY_UWSGI"
}

if is_service_enabled toy-api-wsgi; then
    if [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        configure_toy
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        start_toy
    fi
    if [[ "$1" == "clean" ]]; then
        cleanup_toy
    fi
fi
