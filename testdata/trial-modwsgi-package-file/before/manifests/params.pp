class mycloud::placement::params {
  include openstacklib::defaults
  $pybasedir = $openstacklib::defaults::pybasedir

  $placement_wsgi_script_path   = '/var/www/cgi-bin/placement'
  $placement_wsgi_script_source = "${pybasedir}/placement/wsgi/api.py"
}
