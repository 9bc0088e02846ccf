//! End to end, with real servers: the fixture service `testdata/e2e/toyservice` (a PBR project
//! laid out like an OpenStack service: a PasteDeploy pipeline, a config directory found through
//! an environment variable, an API and a metadata server) is installed with pip, so that PBR
//! writes its `wsgi_scripts`, and each script is served by uWSGI through `wsgi-file`. Then
//! `wsgi-migrate apply` migrates the project, it is reinstalled (the scripts are gone), and the
//! same requests must get the same answers (status, body, the middleware's header) from uWSGI
//! started from the rewritten ini (`module = ...`), from gunicorn given the module path and from
//! Apache mod_wsgi pointed at the installed module's file. `verify` passes on the result and
//! fails on a deliberately broken module.
//!
//! Every piece is required: a missing pip, uWSGI, gunicorn, Apache or mod_wsgi fails the test
//! with what to install (`scripts/test` installs them all); it never skips. Servers listen only
//! on unix sockets or 127.0.0.1, and each one is stopped by its guard (SIGTERM, then SIGKILL),
//! also when an assertion fails. They stay in the test's process group, so a Ctrl-C of the test
//! run reaches them too.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{self, describe, stdout};

/// The two WSGI servers of the service and the paths each is asked for (a 404 included).
const SERVERS: [(&str, &[&str]); 2] = [
    ("api", &["/", "/v1/things", "/nope"]),
    (
        "metadata",
        &[
            "/",
            "/latest/meta-data/",
            "/latest/meta-data/hostname",
            "/nope",
        ],
    ),
];

/// How long a server may take to answer its first request, and how often it is polled.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(100);
/// How long a server may take to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

const MOD_WSGI: &str = "/usr/lib/apache2/modules/mod_wsgi.so";
const APACHE_MODULES: &str = "/usr/lib/apache2/modules";

/// What a server answered to one GET, reduced to what must not depend on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    /// The status line without the protocol: `200 OK`.
    status: String,
    content_type: Option<String>,
    /// The header the fixture's middleware adds.
    request_id: Option<String>,
    body: String,
}

/// (server, path) to its answer, for one way of serving.
type Answers = BTreeMap<(String, String), Answer>;

#[derive(Debug, Clone)]
enum Endpoint {
    Unix(PathBuf),
    Tcp(u16),
}

/// A running server, stopped when dropped.
struct Running {
    what: String,
    child: Child,
    log: PathBuf,
    stopped: bool,
}

impl Running {
    fn start(what: &str, mut command: Command, log: &Path) -> Running {
        let out = fs::File::create(log).unwrap();
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out));
        let child = command.spawn().unwrap_or_else(|error| {
            panic!(
                "cannot start {what} ({:?}): {error}; scripts/test installs every server this \
                 test needs, which never skips",
                command.get_program()
            )
        });
        Running {
            what: what.to_owned(),
            child,
            log: log.to_owned(),
            stopped: false,
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// GET `path`, polling until the server answers (every 100 ms, for 15 s at most).
    fn get(&mut self, endpoint: &Endpoint, path: &str) -> Answer {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "{} exited ({status}) before answering GET {path}\n--- its log\n{}",
                    self.what,
                    self.log()
                );
            }
            let error = match request(endpoint, path) {
                Ok(answer) => return answer,
                Err(error) => error,
            };
            if Instant::now() > deadline {
                panic!(
                    "{} gave no answer to GET {path} within {} s ({error})\n--- its log\n{}",
                    self.what,
                    READY_TIMEOUT.as_secs(),
                    self.log()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Every path of `server`, answered.
    fn answers(&mut self, endpoint: &Endpoint, server: &str, answers: &mut Answers) {
        let paths = SERVERS.iter().find(|(name, _)| *name == server).unwrap().1;
        for path in paths {
            let answer = self.get(endpoint, path);
            answers.insert((server.to_owned(), (*path).to_owned()), answer);
        }
    }

    /// SIGTERM, wait, SIGKILL after a timeout. Returns the exit status when it stopped on
    /// SIGTERM.
    fn stop(&mut self) -> Option<ExitStatus> {
        if self.stopped {
            return None;
        }
        self.stopped = true;
        if let Ok(Some(status)) = self.child.try_wait() {
            return Some(status);
        }
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap());
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }

    /// Stop, and fail unless the server stopped on SIGTERM alone.
    fn stop_cleanly(mut self) {
        let status = self.stop();
        assert!(
            status.is_some(),
            "{} did not stop within {} s of SIGTERM and was killed\n--- its log\n{}",
            self.what,
            STOP_TIMEOUT.as_secs(),
            self.log()
        );
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One HTTP/1.0 GET; an error while the server is not ready yet.
fn request(endpoint: &Endpoint, path: &str) -> Result<Answer, String> {
    let text = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let mut response = Vec::new();
    let timeout = Some(Duration::from_secs(10));
    match endpoint {
        Endpoint::Unix(socket) => {
            let mut stream = UnixStream::connect(socket).map_err(|error| error.to_string())?;
            stream.set_read_timeout(timeout).unwrap();
            stream
                .write_all(text.as_bytes())
                .map_err(|error| error.to_string())?;
            stream
                .read_to_end(&mut response)
                .map_err(|error| error.to_string())?;
        }
        Endpoint::Tcp(port) => {
            let mut stream =
                TcpStream::connect(("127.0.0.1", *port)).map_err(|error| error.to_string())?;
            stream.set_read_timeout(timeout).unwrap();
            stream
                .write_all(text.as_bytes())
                .map_err(|error| error.to_string())?;
            stream
                .read_to_end(&mut response)
                .map_err(|error| error.to_string())?;
        }
    }
    parse_response(&response)
}

fn parse_response(response: &[u8]) -> Result<Answer, String> {
    let text = String::from_utf8_lossy(response);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return Err(format!("an incomplete response: {text:?}"));
    };
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let Some(("HTTP/1.0" | "HTTP/1.1", status)) = status_line.split_once(' ') else {
        return Err(format!("not an HTTP response: {text:?}"));
    };
    let mut headers = BTreeMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    Ok(Answer {
        status: status.trim().to_owned(),
        content_type: headers.get("content-type").cloned(),
        request_id: headers.get("x-openstack-request-id").cloned(),
        body: body.to_owned(),
    })
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Run a setup command to completion, failing the test with its output otherwise.
fn run(what: &str, command: &mut Command) -> Output {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("cannot run {what} ({:?}): {error}", command.get_program()));
    assert!(
        output.status.success(),
        "{what} failed: {}",
        describe(&output)
    );
    output
}

fn python_path_of(python: &Path, what: &str) -> PathBuf {
    let output = run(
        &format!("{what}: sysconfig"),
        Command::new(python).args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
        ]),
    );
    PathBuf::from(stdout(&output).trim())
}

/// The service's venv: a fresh venv (no pip of its own) whose `site-packages` also reads the
/// test venv's, which has pip, pbr, setuptools, WebOb, PasteDeploy, gunicorn and pyuwsgi
/// (`tests/requirements.txt`): installing the project then needs no network and no download.
struct ServiceVenv {
    root: PathBuf,
    python: PathBuf,
    site_packages: PathBuf,
    /// The test venv's site-packages, which the service venv reads through a `.pth` file.
    tools_site_packages: PathBuf,
}

impl ServiceVenv {
    fn create(root: &Path) -> ServiceVenv {
        let test_python = support::python();
        run(
            "creating the service venv",
            Command::new(&test_python)
                .args(["-m", "venv", "--without-pip"])
                .arg(root),
        );
        let python = root.join("bin/python");
        let site_packages = python_path_of(&python, "the service venv");
        let tools_site_packages = python_path_of(Path::new(&test_python), "the test venv");
        fs::write(
            site_packages.join("_wsgi_migrate_test_tools.pth"),
            format!("{}\n", tools_site_packages.display()),
        )
        .unwrap();
        let check = Command::new(&python)
            .args([
                "-c",
                "import pip, pbr, setuptools, webob, paste.deploy, gunicorn, pyuwsgi",
            ])
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "the test venv ({test_python}) lacks a tool of tests/requirements.txt; run \
             ./scripts/test, which installs them (this test never skips): {}",
            describe(&check)
        );
        // pyuwsgi's `uwsgi` command, run by the service venv's Python (as pip would write it).
        let uwsgi = root.join("bin/uwsgi");
        fs::write(
            &uwsgi,
            format!(
                "#!{}\nimport sys\nfrom pyuwsgi import run\nif __name__ == '__main__':\n    \
                 sys.exit(run())\n",
                python.display()
            ),
        )
        .unwrap();
        fs::set_permissions(&uwsgi, fs::Permissions::from_mode(0o755)).unwrap();
        ServiceVenv {
            root: root.to_owned(),
            python,
            site_packages,
            tools_site_packages,
        }
    }

    fn bin(&self, name: &str) -> PathBuf {
        self.root.join("bin").join(name)
    }

    /// `pip install .` (not editable, so that PBR builds a wheel and writes the scripts).
    fn install(&self, project: &Path, extra: &[&str]) {
        run(
            "pip install of the fixture project",
            Command::new(&self.python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--no-index",
                    "--no-build-isolation",
                    "--no-deps",
                    "--disable-pip-version-check",
                ])
                .args(extra)
                .arg(".")
                .current_dir(project)
                .env("PBR_VERSION", "1.0.0")
                .env("PYTHONDONTWRITEBYTECODE", "1"),
        );
    }
}

/// The uWSGI command for `ini`, on a unix socket, run from `dir` (not the project, so the
/// installed package is what is served).
fn uwsgi(venv: &ServiceVenv, ini: &Path, socket: &Path, dir: &Path) -> Command {
    let mut command = Command::new(venv.bin("uwsgi"));
    command
        .arg("--ini")
        .arg(ini)
        .arg("--http-socket")
        .arg(socket)
        .current_dir(dir)
        .env("HOME", dir)
        .env_remove("PYTHONPATH");
    command
}

fn gunicorn(venv: &ServiceVenv, module: &str, socket: &Path, dir: &Path, config: &Path) -> Command {
    let mut command = Command::new(&venv.python);
    command
        .args([
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--no-control-socket",
            "--bind",
        ])
        .arg(format!("unix:{}", socket.display()))
        .arg(format!("{module}:application"))
        .current_dir(dir)
        .env("HOME", dir)
        .env("TOYSERVICE_CONFIG_DIR", config)
        .env_remove("PYTHONPATH");
    command
}

fn apache2() -> PathBuf {
    let found = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("apache2"))
        .find(|candidate| candidate.is_file());
    let apache2 = found.expect(
        "Apache is not installed: install apache2 and libapache2-mod-wsgi-py3 (scripts/test does \
         as root); this test never skips",
    );
    assert!(
        Path::new(MOD_WSGI).is_file(),
        "mod_wsgi is not installed ({MOD_WSGI}): install libapache2-mod-wsgi-py3 (scripts/test \
         does as root); this test never skips"
    );
    apache2
}

fn running_as_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap_or(false)
}

/// Apache started as root runs its children as `www-data`, which must be able to reach `path`.
fn assert_reachable_by_others(path: &Path) {
    for dir in path.ancestors().filter(|dir| dir.is_dir()) {
        let mode = fs::metadata(dir).unwrap().permissions().mode();
        assert!(
            mode & 0o005 == 0o005,
            "Apache's www-data cannot read {} (mode {mode:o}), so it cannot serve {}",
            dir.display(),
            path.display()
        );
    }
}

/// A self-contained Apache configuration: each server in its own vhost on 127.0.0.1 and its own
/// mod_wsgi daemon process group, `WSGIScriptAlias /` pointing at the installed module's file.
fn apache_config(dir: &Path, venv: &ServiceVenv, ports: &[(&str, u16)]) -> String {
    let d = dir.display();
    let python_path = venv.site_packages.display();
    let wsgi_dir = venv.site_packages.join("toyservice/wsgi");
    let mut text = format!(
        "ServerRoot {d}\n\
         ServerName localhost\n\
         PidFile {d}/httpd.pid\n\
         ErrorLog {d}/error.log\n\
         LogLevel info\n\
         DefaultRuntimeDir {d}\n\
         Mutex file:{d} default\n\
         LoadModule mpm_event_module {APACHE_MODULES}/mod_mpm_event.so\n\
         LoadModule authz_core_module {APACHE_MODULES}/mod_authz_core.so\n\
         LoadModule wsgi_module {MOD_WSGI}\n\
         StartServers 1\n\
         WSGISocketPrefix {d}/wsgi\n\
         WSGIRestrictEmbedded On\n\
         <Directory />\n    Require all denied\n</Directory>\n"
    );
    if running_as_root() {
        text.push_str("User www-data\nGroup www-data\n");
    }
    for (server, port) in ports {
        text.push_str(&format!(
            "Listen 127.0.0.1:{port}\n\
             <VirtualHost 127.0.0.1:{port}>\n    \
             WSGIDaemonProcess toyservice-{server} processes=1 threads=2 \
             display-name=%{{GROUP}} home={d} python-path={python_path}\n    \
             WSGIProcessGroup toyservice-{server}\n    \
             WSGIApplicationGroup %{{GLOBAL}}\n    \
             WSGIScriptAlias / {}\n    \
             <Directory {}>\n        Require all granted\n    </Directory>\n\
             </VirtualHost>\n",
            wsgi_dir.join(format!("{server}.py")).display(),
            wsgi_dir.display()
        ));
    }
    text
}

/// `wsgi-migrate verify` with the service venv first on PATH (its `uwsgi` is pyuwsgi's).
fn verify(venv: &ServiceVenv, home: &Path, args: &[&str]) -> Output {
    let path = std::env::join_paths(
        std::iter::once(venv.root.join("bin")).chain(
            std::env::var_os("PATH")
                .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
    )
    .unwrap();
    Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"))
        .args(["--color=never", "verify", "--python"])
        .arg(&venv.python)
        .args(args)
        .env("PATH", path)
        .env("HOME", home)
        .env_remove("WSGI_MIGRATE_UWSGI")
        .env_remove("PYTHONPATH")
        .env_remove("NO_COLOR")
        .output()
        .expect("the wsgi-migrate binary runs")
}

/// Fail with every difference between two ways of serving.
fn assert_same_answers(expected_name: &str, expected: &Answers, name: &str, actual: &Answers) {
    let mut differences = String::new();
    for (key, want) in expected {
        match actual.get(key) {
            Some(got) if got == want => {}
            got => differences.push_str(&format!(
                "{} {}:\n  {expected_name}: {want:?}\n  {name}: {got:?}\n",
                key.0, key.1
            )),
        }
    }
    assert!(
        differences.is_empty() && expected.len() == actual.len(),
        "{name} does not answer as {expected_name} did:\n{differences}"
    );
}

#[test]
fn served_the_same_before_and_after_migration_by_uwsgi_gunicorn_and_apache() {
    let apache2 = apache2();
    let scratch = tempfile::Builder::new()
        .prefix("wsgi-migrate-e2e-")
        .tempdir()
        .unwrap();
    // Apache's children run as www-data when the test runs as root.
    fs::set_permissions(scratch.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let project = scratch.path().join("toyservice");
    let run_dir = scratch.path().join("run");
    fs::create_dir(&run_dir).unwrap();
    support::copy_tree(&support::testdata().join("e2e/toyservice"), &project);
    let venv = ServiceVenv::create(&scratch.path().join("venv"));
    let config_dir = project.join("toyservice/etc");

    // The deployment's uWSGI configs point at the scripts pip is about to install.
    let ini = |server: &str| project.join(format!("etc/uwsgi/toyservice-{server}.ini"));
    for (server, _) in SERVERS {
        let text = fs::read_to_string(ini(server)).unwrap();
        let text = text
            .replace("/PLACEHOLDER-CONFIG", config_dir.to_str().unwrap())
            .replace("/PLACEHOLDER", venv.root.to_str().unwrap());
        fs::write(ini(server), text).unwrap();
    }

    venv.install(&project, &[]);
    for (server, _) in SERVERS {
        let script = venv.bin(&format!("toyservice-{server}-wsgi"));
        let text = fs::read_to_string(&script).unwrap_or_else(|error| {
            panic!("pip install did not write {}: {error}", script.display())
        });
        assert!(
            text.contains("#PBR Generated from 'wsgi_scripts'"),
            "{} is not PBR's wsgi script:\n{text}",
            script.display()
        );
    }

    // Before: uWSGI runs each PBR script through `wsgi-file`, one process per server.
    let mut before = Answers::new();
    for (server, _) in SERVERS {
        let socket = run_dir.join(format!("before-{server}.sock"));
        let mut uwsgi = Running::start(
            &format!("uWSGI (wsgi-file, {server})"),
            uwsgi(&venv, &ini(server), &socket, &run_dir),
            &run_dir.join(format!("before-{server}.log")),
        );
        uwsgi.answers(&Endpoint::Unix(socket), server, &mut before);
        uwsgi.stop_cleanly();
    }
    // The answers come from the fixture's application behind its middleware.
    for ((server, path), answer) in &before {
        let body: serde_json::Value = serde_json::from_str(&answer.body)
            .unwrap_or_else(|error| panic!("{server} {path}: not JSON ({error}): {answer:?}"));
        assert_eq!(body["server"], server.as_str(), "{answer:?}");
        assert_eq!(body["path"], path.as_str(), "{answer:?}");
        assert_eq!(body["release"], "toy-1", "{answer:?}");
        let want_status = if path == "/nope" {
            "404 Not Found"
        } else {
            "200 OK"
        };
        assert_eq!(answer.status, want_status, "{server} {path}: {answer:?}");
        assert!(
            answer
                .request_id
                .as_deref()
                .is_some_and(|id| id.starts_with("req-")),
            "{server} {path}: no request id from the middleware: {answer:?}"
        );
    }

    // The migration.
    let applied = support::wsgi_migrate(&["apply", project.to_str().unwrap()]);
    assert_eq!(applied.status.code(), Some(0), "{}", describe(&applied));
    for (server, _) in SERVERS {
        let text = fs::read_to_string(ini(server)).unwrap();
        assert!(
            text.contains(&format!(
                "\nmodule = toyservice.wsgi.{server}:application\n"
            )) && !text.contains("wsgi-file"),
            "{server}'s uWSGI ini was not rewritten:\n{text}"
        );
        assert!(
            project
                .join(format!("toyservice/wsgi/{server}.py"))
                .is_file(),
            "apply did not generate toyservice/wsgi/{server}.py"
        );
    }
    let setup_cfg = fs::read_to_string(project.join("setup.cfg")).unwrap();
    assert!(
        !setup_cfg.contains("wsgi_scripts") && setup_cfg.contains("console_scripts"),
        "{setup_cfg}"
    );
    let check = support::wsgi_migrate(&["check", project.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(0), "{}", describe(&check));

    // Reinstalled, the project no longer has the scripts, and ships the modules.
    venv.install(&project, &["--force-reinstall"]);
    for (server, _) in SERVERS {
        let script = venv.bin(&format!("toyservice-{server}-wsgi"));
        assert!(
            !script.exists(),
            "{} is still installed after the entry points were removed",
            script.display()
        );
        let module = venv
            .site_packages
            .join(format!("toyservice/wsgi/{server}.py"));
        assert!(module.is_file(), "{} is not installed", module.display());
    }
    assert!(venv.bin("toyservice-manage").is_file());

    // After (a): uWSGI from the rewritten ini, importing the installed module.
    let mut after_uwsgi = Answers::new();
    for (server, _) in SERVERS {
        let socket = run_dir.join(format!("after-{server}.sock"));
        let mut uwsgi = Running::start(
            &format!("uWSGI (module, {server})"),
            uwsgi(&venv, &ini(server), &socket, &run_dir),
            &run_dir.join(format!("after-{server}.log")),
        );
        uwsgi.answers(&Endpoint::Unix(socket), server, &mut after_uwsgi);
        uwsgi.stop_cleanly();
    }
    assert_same_answers(
        "uWSGI with wsgi-file",
        &before,
        "uWSGI with module",
        &after_uwsgi,
    );

    // After (b): gunicorn given the module path.
    let mut after_gunicorn = Answers::new();
    for (server, _) in SERVERS {
        let socket = run_dir.join(format!("gunicorn-{server}.sock"));
        let mut gunicorn = Running::start(
            &format!("gunicorn ({server})"),
            gunicorn(
                &venv,
                &format!("toyservice.wsgi.{server}"),
                &socket,
                &run_dir,
                &config_dir,
            ),
            &run_dir.join(format!("gunicorn-{server}.log")),
        );
        gunicorn.answers(&Endpoint::Unix(socket), server, &mut after_gunicorn);
        gunicorn.stop_cleanly();
    }
    assert_same_answers("uWSGI with wsgi-file", &before, "gunicorn", &after_gunicorn);

    // After (c): Apache mod_wsgi (Debian's, with the system Python) pointed at the installed
    // module's file, the paste config found through the default (next to the package).
    if running_as_root() {
        assert_reachable_by_others(&venv.site_packages.join("toyservice/wsgi/api.py"));
        assert_reachable_by_others(&venv.tools_site_packages.join("webob"));
    }
    let apache_dir = scratch.path().join("apache");
    fs::create_dir(&apache_dir).unwrap();
    let ports: Vec<(&str, u16)> = SERVERS
        .iter()
        .map(|(server, _)| (*server, free_port()))
        .collect();
    let httpd_conf = apache_dir.join("httpd.conf");
    fs::write(&httpd_conf, apache_config(&apache_dir, &venv, &ports)).unwrap();
    let apache_command = || {
        let mut command = Command::new(&apache2);
        command
            .arg("-f")
            .arg(&httpd_conf)
            .current_dir(&apache_dir)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("LANG", "C");
        command
    };
    run("apache2 -t", apache_command().arg("-t"));
    let mut after_apache = Answers::new();
    {
        let mut command = apache_command();
        command.arg("-DFOREGROUND");
        let mut apache = Running::start(
            "Apache mod_wsgi",
            command,
            &apache_dir.join("foreground.log"),
        );
        for (server, port) in &ports {
            apache.answers(&Endpoint::Tcp(*port), server, &mut after_apache);
        }
        let error_log = fs::read_to_string(apache_dir.join("error.log")).unwrap_or_default();
        apache.stop_cleanly();
        // Two daemon process groups: never one process for both servers.
        for (server, _) in SERVERS {
            assert!(
                error_log.contains(&format!("Starting process 'toyservice-{server}'")),
                "no mod_wsgi daemon process for {server}:\n{error_log}"
            );
        }
    }
    assert_same_answers(
        "uWSGI with wsgi-file",
        &before,
        "Apache mod_wsgi",
        &after_apache,
    );

    // `verify` passes on the migrated project: imports, gunicorn, and uWSGI from the ini.
    let project_arg = project.to_str().unwrap();
    let imported = verify(&venv, &run_dir, &[project_arg]);
    assert_eq!(imported.status.code(), Some(0), "{}", describe(&imported));
    for (server, _) in SERVERS {
        assert!(
            stdout(&imported).contains(&format!("ok   toyservice.wsgi.{server}: ")),
            "{}",
            describe(&imported)
        );
    }
    let served = verify(&venv, &run_dir, &["--serve", "gunicorn", project_arg]);
    assert_eq!(served.status.code(), Some(0), "{}", describe(&served));
    assert_eq!(
        stdout(&served)
            .matches("gunicorn answered `HTTP/1.0 200 OK`")
            .count(),
        2,
        "{}",
        describe(&served)
    );
    let from_ini = verify(
        &venv,
        &run_dir,
        &[
            "--serve",
            "uwsgi",
            "--config",
            ini("api").to_str().unwrap(),
            "--path",
            "/v1/things",
            project_arg,
        ],
    );
    assert_eq!(from_ini.status.code(), Some(0), "{}", describe(&from_ini));
    assert!(
        stdout(&from_ini).contains("uwsgi answered `HTTP/1.1 200 OK`")
            || stdout(&from_ini).contains("uwsgi answered `HTTP/1.0 200 OK`"),
        "{}",
        describe(&from_ini)
    );

    // ... and fails on a deliberately broken module, naming it and the exception.
    let broken = project.join("toyservice/wsgi/metadata.py");
    let text = fs::read_to_string(&broken).unwrap();
    let text = text.replace(
        "from toyservice.metadata.wsgi import init_application\n",
        "from toyservice.metadata.wsgi import no_such_factory as init_application\n",
    );
    assert!(text.contains("no_such_factory"), "{text}");
    fs::write(&broken, text).unwrap();
    let failed = verify(&venv, &run_dir, &[project_arg]);
    assert_eq!(failed.status.code(), Some(1), "{}", describe(&failed));
    let out = stdout(&failed);
    assert!(
        out.contains("ok   toyservice.wsgi.api: ")
            && out.contains(
                "FAIL toyservice.wsgi.metadata: ImportError: cannot import name 'no_such_factory'"
            )
            && out.contains("1 failed"),
        "{}",
        describe(&failed)
    );
}
