//! `verify`: proof that the modules a project exposes really hold a WSGI application.
//!
//! Each module is imported by the chosen Python in a child process, with the project directory
//! first on `PYTHONPATH`, and its `application` checked for being callable; an import error is
//! reported with the module, the exception and its last frame. With a server (`gunicorn` or
//! `uwsgi`), the module is also served on a unix socket in a fresh temporary directory, sent one
//! `GET`, and the status line reported; the server is always stopped, by its PID with a
//! timeout, also when `verify` itself is interrupted.

use std::io::{Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// Set by the signal handler; every wait loop checks it and stops its server.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// How long a module may take to import, and a server to start answering.
const IMPORT_TIMEOUT: Duration = Duration::from_secs(120);
const SERVE_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Gunicorn,
    Uwsgi,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub python: String,
    /// The directory the modules are imported from (the project root).
    pub project: PathBuf,
    pub server: Option<Server>,
    /// A uWSGI ini file to start the server from (its `module` setting is used).
    pub config: Option<PathBuf>,
    /// The request path sent to the server.
    pub path: String,
}

/// The result for one module.
#[derive(Debug, Clone)]
pub struct Check {
    pub module: String,
    pub ok: bool,
    /// What was seen: the application's type, the status line, or the error.
    pub detail: String,
}

/// The module a uWSGI ini file loads (`module` or its alias `wsgi` in `[uwsgi]`), without the
/// `:application` attribute.
pub fn config_module(ini: &str) -> Option<String> {
    let mut in_uwsgi = false;
    for line in ini.lines() {
        let line = line.trim();
        if let Some(section) = line
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            in_uwsgi = section == "uwsgi";
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if in_uwsgi && matches!(key.trim(), "module" | "wsgi") {
            let value = value.trim();
            return Some(
                value
                    .split_once(':')
                    .map_or(value, |(module, _)| module)
                    .to_owned(),
            );
        }
    }
    None
}

/// Whether Ctrl-C or SIGTERM arrived: the remaining modules are not checked.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Install the handler that turns Ctrl-C and SIGTERM into a clean stop of any server started.
pub fn handle_interrupts() {
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
}

/// The marker before the child's one line of JSON, so that whatever the module prints while it
/// is imported cannot be mistaken for the answer.
const MARKER: &str = "@@wsgi-migrate-verify@@";

const IMPORT_CHECK: &str = r#"
import importlib, json, sys, traceback
marker, name = sys.argv[1], sys.argv[2]
def answer(**fields):
    sys.stdout.flush()
    sys.stdout.write("\n" + marker + json.dumps(fields) + "\n")
    sys.stdout.flush()
try:
    module = importlib.import_module(name)
except BaseException as error:
    frames = traceback.extract_tb(error.__traceback__)
    last = frames[-1] if frames else None
    where = "%s:%s in %s" % (last.filename, last.lineno, last.name) if last else ""
    answer(ok=False, error="%s: %s" % (type(error).__name__, error), frame=where)
    sys.exit(0)
application = getattr(module, "application", None)
if application is None:
    answer(ok=False, error="the module has no `application`", frame="")
elif not callable(application):
    answer(ok=False, error="`application` is a %s, which is not callable" % type(application).__name__, frame="")
else:
    answer(ok=True, kind=type(application).__module__ + "." + type(application).__qualname__)
"#;

/// Import `module` with the request's Python and check its `application`.
pub fn import_check(request: &Request, module: &str) -> anyhow::Result<Check> {
    // Output goes to files, not pipes: a module that prints a lot must not block on a full pipe.
    let scratch = tempfile::Builder::new()
        .prefix("wsgi-migrate-verify-")
        .tempdir()?;
    let (stdout_path, stderr_path) = (scratch.path().join("stdout"), scratch.path().join("stderr"));
    let mut command = Command::new(&request.python);
    command
        .args(["-c", IMPORT_CHECK, MARKER, module])
        .current_dir(&request.project)
        .env("PYTHONPATH", python_path(&request.project))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::fs::File::create(&stdout_path)?))
        .stderr(Stdio::from(std::fs::File::create(&stderr_path)?));
    let child = command
        .spawn()
        .with_context(|| format!("cannot run `{}`", request.python))?;
    if let Err(stopped) = wait(child, IMPORT_TIMEOUT) {
        return Ok(Check {
            module: module.to_owned(),
            ok: false,
            detail: format!("the import {stopped}"),
        });
    }
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let Some(answer) = stdout
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix(MARKER))
    else {
        let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let last = stderr
            .lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .unwrap_or("no output");
        return Ok(Check {
            module: module.to_owned(),
            ok: false,
            detail: format!("the interpreter stopped: {last}"),
        });
    };
    let answer: serde_json::Value =
        serde_json::from_str(answer).context("unexpected answer from the import check")?;
    let ok = answer["ok"].as_bool().unwrap_or(false);
    let detail = if ok {
        format!(
            "`application` is a {}",
            answer["kind"].as_str().unwrap_or("callable")
        )
    } else {
        let frame = answer["frame"].as_str().unwrap_or_default();
        let error = answer["error"].as_str().unwrap_or("unknown error");
        if frame.is_empty() {
            error.to_owned()
        } else {
            format!("{error} (at {frame})")
        }
    };
    Ok(Check {
        module: module.to_owned(),
        ok,
        detail,
    })
}

/// Serve `module` with the request's server and send one GET.
pub fn serve_check(request: &Request, module: &str) -> anyhow::Result<Check> {
    let Some(server) = request.server else {
        bail!("no server chosen")
    };
    let scratch = tempfile::Builder::new()
        .prefix("wsgi-migrate-verify-")
        .tempdir()?;
    let socket = scratch.path().join("http.sock");
    let log = scratch.path().join("server.log");
    let mut command = match server {
        Server::Gunicorn => gunicorn(request, module, &socket),
        Server::Uwsgi => uwsgi(request, module, &socket)?,
    };
    command
        .current_dir(&request.project)
        .env("PYTHONPATH", python_path(&request.project))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        // gunicorn 27 puts a control socket under $HOME; keep it in the scratch directory.
        .env("HOME", scratch.path())
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::fs::File::create(&log)?))
        .stderr(Stdio::from(std::fs::File::create(&log)?));
    let name = match server {
        Server::Gunicorn => "gunicorn",
        Server::Uwsgi => "uwsgi",
    };
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {name}"))?;
    let answer = get_when_ready(&mut child, &socket, &request.path);
    stop(&mut child);
    let log_tail = || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .unwrap_or("no output")
            .to_owned()
    };
    Ok(match answer {
        Ok(status) => {
            let ok = status
                .split_whitespace()
                .nth(1)
                .is_some_and(|code| code.starts_with('2') || code.starts_with('3'));
            Check {
                module: module.to_owned(),
                ok,
                detail: format!("{name} answered `{status}`"),
            }
        }
        Err(problem) => Check {
            module: module.to_owned(),
            ok: false,
            detail: format!("{name}: {problem}; its last line: {}", log_tail()),
        },
    })
}

fn python_path(project: &Path) -> std::ffi::OsString {
    let mut paths = vec![project.to_path_buf()];
    if let Some(existing) = std::env::var_os("PYTHONPATH") {
        paths.extend(std::env::split_paths(&existing));
    }
    std::env::join_paths(paths).unwrap_or_else(|_| project.as_os_str().to_owned())
}

fn gunicorn(request: &Request, module: &str, socket: &Path) -> Command {
    let mut command = Command::new(&request.python);
    command
        .args(["-m", "gunicorn", "--workers", "1", "--bind"])
        .arg(format!("unix:{}", socket.display()));
    command
        .args(["--chdir"])
        .arg(&request.project)
        .arg(format!("{module}:application"));
    command
}

fn uwsgi(request: &Request, module: &str, socket: &Path) -> anyhow::Result<Command> {
    let binary = std::env::var("WSGI_MIGRATE_UWSGI").unwrap_or_else(|_| "uwsgi".to_owned());
    let mut command = Command::new(&binary);
    // Distribution builds keep Python in a plugin, which must be loaded before `--module`.
    if !uwsgi_has_python(&binary)? {
        command.args(["--plugin", "python3"]);
    }
    if let Some(config) = &request.config {
        command.arg("--ini").arg(config);
    } else {
        command
            .args(["--module"])
            .arg(format!("{module}:application"));
    }
    command
        .arg("--http-socket")
        .arg(socket)
        .args([
            "--master",
            "--processes",
            "1",
            "--need-app",
            "--die-on-term",
            "--no-orphans",
        ])
        .arg("--chdir")
        .arg(&request.project)
        .arg("--pythonpath")
        .arg(&request.project);
    Ok(command)
}

fn uwsgi_has_python(binary: &str) -> anyhow::Result<bool> {
    let output = Command::new(binary)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run `{binary}`: install uWSGI (pyuwsgi from PyPI, or Debian's uwsgi with uwsgi-plugin-python3)"))?;
    Ok(String::from_utf8_lossy(&output.stdout).contains("--wsgi-file"))
}

/// Poll the unix socket until the server answers one GET, it exits, the time runs out or the
/// user interrupts.
fn get_when_ready(child: &mut Child, socket: &Path, path: &str) -> Result<String, String> {
    let deadline = Instant::now() + SERVE_TIMEOUT;
    loop {
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Err("interrupted".to_owned());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the server exited ({status}) before answering"));
        }
        if let Ok(mut stream) = UnixStream::connect(socket) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
            if stream.write_all(request.as_bytes()).is_ok() {
                let mut response = Vec::new();
                let _ = stream.read_to_end(&mut response);
                let response = String::from_utf8_lossy(&response);
                if let Some(status) = response
                    .lines()
                    .next()
                    .filter(|line| line.starts_with("HTTP/"))
                {
                    return Ok(status.trim().to_owned());
                }
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no answer within {} seconds",
                SERVE_TIMEOUT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Stop a server: SIGTERM (both servers stop on it: gunicorn always, uWSGI with
/// `--die-on-term`), then SIGKILL if it has not exited in time.
fn stop(child: &mut Child) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Wait for a child to exit, killing it if it outlives `timeout` or the user interrupts.
fn wait(mut child: Child, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        let interrupted = INTERRUPTED.load(Ordering::SeqCst);
        if interrupted || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            if interrupted {
                bail!("was interrupted");
            }
            bail!("took longer than {} seconds", timeout.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn config_module_reads_the_uwsgi_section() {
        let ini = "[other]\nmodule = x:y\n[uwsgi]\nhttp-socket = :80\nmodule = toy.wsgi.api:application\n";
        assert_eq!(super::config_module(ini).as_deref(), Some("toy.wsgi.api"));
        assert_eq!(
            super::config_module("[uwsgi]\nwsgi = toy.wsgi.metadata\n").as_deref(),
            Some("toy.wsgi.metadata")
        );
        assert_eq!(
            super::config_module("[uwsgi]\nwsgi-file = /usr/bin/x\n"),
            None
        );
    }
}
