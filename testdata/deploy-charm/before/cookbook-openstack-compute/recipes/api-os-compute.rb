#
# Cookbook:: openstack-compute
# Recipe:: api-os-compute
#

platform_options = node['openstack']['compute']['platform']

template "#{apache_dir}/sites-available/nova-api.conf" do
  extend Apache2::Cookbook::Helpers
  source 'wsgi-template.conf.erb'
  variables(
    daemon_process: 'nova-api',
    server_host: bind_address,
    server_port: bind_port,
    server_entry: '/usr/bin/nova-api-wsgi',
    run_dir: lock_dir,
    log_dir: '/var/log/apache2'
  )
  notifies :restart, 'service[apache2]'
end
