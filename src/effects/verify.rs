//! `verify`: proof that the modules a project exposes really hold a WSGI application.
//!
//! Each module is imported by the chosen Python in a child process, with the project directory
//! first on `PYTHONPATH` and a `sys.argv` like a WSGI server's (one program name: applications
//! built on oslo.config or argparse parse it), and its `application` checked for being
//! callable; an import error, or an application that exits while it is imported, is reported
//! with the module, the exception (or exit status) and its last frame. With a server
//! (`gunicorn` or `uwsgi`), the module is also served on a unix socket in a fresh temporary
//! directory, sent one `GET`, and the status line reported.
//!
//! Everything is bounded: every child (the import and the servers) runs in a process group of
//! its own, which is killed whole when the child exits, times out, or `verify` is interrupted or
//! returns, so processes a module spawned do not survive it; a step has a time limit; of an
//! answer only the status line is read, and at most [`RESPONSE_LIMIT`] bytes of it; of a
//! child's output only the last [`OUTPUT_LIMIT`] bytes are kept, read as bytes and shown
//! lossily. A process that leaves the group (`setsid`) is beyond reach; uWSGI runs with
//! `--no-orphans`.

use std::io::{Read, Write as _};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// Set by the signal handler; every wait loop checks it and stops its children.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// How long a module may take to import, and a server to start answering, unless
/// [`Request::timeout`] says otherwise.
pub const IMPORT_TIMEOUT: Duration = Duration::from_secs(120);
pub const SERVE_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of an HTTP answer read while looking for its status line.
pub const RESPONSE_LIMIT: usize = 64 * 1024;
/// The most of a child's stdout and stderr kept (their ends, where the answer is).
pub const OUTPUT_LIMIT: usize = 256 * 1024;

/// The `sys.argv` the import child gives the application: one program name, as under a WSGI
/// server (uWSGI's is `['uwsgi']`, mod_wsgi's `['mod_wsgi']`).
pub const PROGRAM: &str = "wsgi-migrate-verify";

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
    /// The time limit of each step (an import, a server's answer); the defaults when `None`.
    pub timeout: Option<Duration>,
}

/// The result for one module.
#[derive(Debug, Clone)]
pub struct Check {
    pub module: String,
    pub ok: bool,
    /// What was seen: the application's type, the status line, or the error.
    pub detail: String,
}

/// The module a uWSGI ini file loads (`module` or its alias `wsgi` in `[uwsgi]` or a
/// `[uwsgi:NAME]` section), without the `:application` attribute. The ini is read by the uWSGI
/// dialect's own reader, so that `verify` and `scan` agree on what a config loads.
pub fn config_module(ini: &str) -> Option<String> {
    use crate::dialect::uwsgi_ini::{is_uwsgi_section, settings};
    settings(ini)
        .into_iter()
        .filter(|setting| !setting.commented && is_uwsgi_section(setting.section))
        .find(|setting| matches!(&ini[setting.key.clone()], "module" | "wsgi"))
        .map(|setting| {
            let value = &ini[setting.value];
            value
                .split_once(':')
                .map_or(value, |(module, _)| module)
                .to_owned()
        })
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

/// The import child. Its own data comes in environment variables, removed before the import,
/// so that `sys.argv` and `os.environ` look as they would under a server.
const IMPORT_CHECK: &str = r#"
import importlib, json, os, sys, traceback
marker = os.environ.pop("WSGI_MIGRATE_VERIFY_MARKER")
name = os.environ.pop("WSGI_MIGRATE_VERIFY_MODULE")
sys.argv = [os.environ.pop("WSGI_MIGRATE_VERIFY_PROGRAM")]
argv = list(sys.argv)
def answer(**fields):
    sys.stdout.flush()
    sys.stdout.write("\n" + marker + json.dumps(fields) + "\n")
    sys.stdout.flush()
def frame(error):
    frames = traceback.extract_tb(error.__traceback__)
    last = frames[-1] if frames else None
    return "%s:%s in %s" % (last.filename, last.lineno, last.name) if last else ""
try:
    module = importlib.import_module(name)
except SystemExit as error:
    answer(ok=False, error="the module exited while it was imported, with status %r (its sys.argv was %r)" % (error.code, argv), frame=frame(error))
    os._exit(0)
except BaseException as error:
    answer(ok=False, error="%s: %s" % (type(error).__name__, error), frame=frame(error))
    os._exit(0)
application = getattr(module, "application", None)
if application is None:
    answer(ok=False, error="the module has no `application`", frame="")
elif not callable(application):
    answer(ok=False, error="`application` is a %s, which is not callable" % type(application).__name__, frame="")
else:
    answer(ok=True, kind=type(application).__module__ + "." + type(application).__qualname__)
sys.stdout.flush()
os._exit(0)
"#;

/// A child in a process group of its own. Dropping it kills the whole group and reaps the
/// child, so nothing it started outlives the check, whichever way the check ends.
struct Group {
    child: Child,
    pgid: Pid,
}

impl Group {
    fn spawn(command: &mut Command) -> std::io::Result<Group> {
        let child = command.process_group(0).spawn()?;
        let pgid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
        Ok(Group { child, pgid })
    }

    /// The ends of the child's piped stdout and stderr.
    fn tails(&mut self) -> (Tail, Tail) {
        let stdout = self.child.stdout.take().map(Tail::of);
        let stderr = self.child.stderr.take().map(Tail::of);
        let empty = || Tail::of(std::io::empty());
        (stdout.unwrap_or_else(empty), stderr.unwrap_or_else(empty))
    }

    fn signal(&self, signal: Signal) {
        let _ = killpg(self.pgid, signal);
    }

    /// Wait for the child to exit; `Err` says why it was killed instead.
    fn wait(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    // Whatever it left running goes with it.
                    self.signal(Signal::SIGKILL);
                    return Ok(status);
                }
                Ok(None) => {}
                Err(error) => return Err(format!("could not be waited for: {error}")),
            }
            if interrupted() {
                self.signal(Signal::SIGKILL);
                return Err("was interrupted".to_owned());
            }
            if Instant::now() > deadline {
                self.signal(Signal::SIGKILL);
                return Err(format!("took longer than {} seconds", timeout.as_secs()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stop a server: SIGTERM to the group (both servers stop on it: gunicorn always, uWSGI
    /// with `--die-on-term`), then SIGKILL if it has not exited in time.
    fn stop(&mut self) {
        self.signal(Signal::SIGTERM);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.signal(Signal::SIGKILL);
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.signal(Signal::SIGKILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The end of a child's output: a thread drains the pipe as it fills (so the child never
/// blocks on it) and keeps only the last [`OUTPUT_LIMIT`] bytes, so neither memory nor disk
/// grows with what a module prints.
struct Tail {
    buffer: Arc<Mutex<Vec<u8>>>,
    done: mpsc::Receiver<()>,
}

impl Tail {
    fn of(mut reader: impl Read + Send + 'static) -> Tail {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let (sender, done) = mpsc::channel();
        let kept = Arc::clone(&buffer);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            loop {
                match reader.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(read) => {
                        let mut kept = kept.lock().unwrap_or_else(PoisonError::into_inner);
                        kept.extend_from_slice(&chunk[..read]);
                        if kept.len() > 2 * OUTPUT_LIMIT {
                            let cut = kept.len() - OUTPUT_LIMIT;
                            kept.drain(..cut);
                        }
                    }
                    Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = sender.send(());
        });
        Tail { buffer, done }
    }

    /// What was kept, as text (bytes that are not UTF-8 shown as U+FFFD), once the pipe is
    /// closed or after a short wait: a process that left the group may still hold it open.
    fn text(self) -> String {
        let _ = self.done.recv_timeout(Duration::from_secs(2));
        let kept = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        let start = kept.len().saturating_sub(OUTPUT_LIMIT);
        String::from_utf8_lossy(&kept[start..]).into_owned()
    }
}

fn last_line(text: &str) -> Option<&str> {
    text.lines()
        .rev()
        .map(str::trim)
        .find(|line| !line.is_empty())
}

/// Import `module` with the request's Python and check its `application`.
pub fn import_check(request: &Request, module: &str) -> anyhow::Result<Check> {
    let mut command = Command::new(&request.python);
    command
        .args(["-c", IMPORT_CHECK])
        .current_dir(&request.project)
        .env("PYTHONPATH", python_path(&request.project))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("WSGI_MIGRATE_VERIFY_MARKER", MARKER)
        .env("WSGI_MIGRATE_VERIFY_MODULE", module)
        .env("WSGI_MIGRATE_VERIFY_PROGRAM", PROGRAM)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child =
        Group::spawn(&mut command).with_context(|| format!("cannot run `{}`", request.python))?;
    let (stdout, stderr) = child.tails();
    let status = match child.wait(request.timeout.unwrap_or(IMPORT_TIMEOUT)) {
        Ok(status) => status,
        Err(stopped) => {
            return Ok(Check {
                module: module.to_owned(),
                ok: false,
                detail: format!("the import {stopped}"),
            });
        }
    };
    drop(child);
    let stdout = stdout.text();
    let Some(answer) = stdout
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix(MARKER))
    else {
        let stderr = stderr.text();
        let last = last_line(&stderr)
            .or_else(|| last_line(&stdout))
            .unwrap_or("no output");
        return Ok(Check {
            module: module.to_owned(),
            ok: false,
            detail: format!("the interpreter stopped ({status}): {last}"),
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
    let mut command = match server {
        Server::Gunicorn => gunicorn(request, module, &socket, scratch.path())?,
        Server::Uwsgi => uwsgi(request, module, &socket)?,
    };
    command
        .current_dir(&request.project)
        .env("PYTHONPATH", python_path(&request.project))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        // gunicorn 27 puts a control socket under $HOME; keep it in the scratch directory.
        .env("HOME", scratch.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let name = match server {
        Server::Gunicorn => "gunicorn",
        Server::Uwsgi => "uwsgi",
    };
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child =
        Group::spawn(&mut command).with_context(|| format!("cannot start {name} (`{program}`)"))?;
    let (stdout, stderr) = child.tails();
    let timeout = request.timeout.unwrap_or(SERVE_TIMEOUT);
    let answer = get_when_ready(&mut child.child, &socket, &request.path, timeout);
    child.stop();
    drop(child);
    let log_tail = || {
        let (stdout, stderr) = (stdout.text(), stderr.text());
        last_line(&stderr)
            .or_else(|| last_line(&stdout))
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

/// `name` in the directory of the interpreter `python` (found on PATH when it has no `/`,
/// without resolving symbolic links: a venv's `python` links to the system's), if it is there.
pub fn beside_python(python: &str, name: &str) -> Option<PathBuf> {
    let python = Path::new(python);
    let found = if python.components().count() > 1 {
        Some(python.to_path_buf())
    } else {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join(python))
            .find(|path| path.is_file())
    }?;
    let candidate = found.parent()?.join(name);
    candidate.is_file().then_some(candidate)
}

/// A gunicorn config whose `post_fork` hook leaves the worker a `sys.argv` of its program
/// name alone before it loads the application, as uWSGI and mod_wsgi present it (gunicorn
/// itself would pass its own command line on).
const GUNICORN_CONFIG: &str =
    "import sys\n\n\ndef post_fork(server, worker):\n    del sys.argv[1:]\n";

/// gunicorn beside `--python` (the venv's script), else `--python -m gunicorn`.
fn gunicorn(
    request: &Request,
    module: &str,
    socket: &Path,
    scratch: &Path,
) -> anyhow::Result<Command> {
    let config = scratch.join("gunicorn.conf.py");
    std::fs::write(&config, GUNICORN_CONFIG)?;
    let mut command = match beside_python(&request.python, "gunicorn") {
        Some(gunicorn) => Command::new(gunicorn),
        None => {
            let mut command = Command::new(&request.python);
            command.args(["-m", "gunicorn"]);
            command
        }
    };
    command
        .arg("--config")
        .arg(&config)
        .args(["--workers", "1", "--bind"])
        .arg(format!("unix:{}", socket.display()));
    command
        .args(["--chdir"])
        .arg(&request.project)
        .arg(format!("{module}:application"));
    Ok(command)
}

/// uWSGI: `$WSGI_MIGRATE_UWSGI`, else `uwsgi` beside `--python`, else `uwsgi` on PATH.
pub fn uwsgi_binary(python: &str) -> PathBuf {
    if let Some(binary) = std::env::var_os("WSGI_MIGRATE_UWSGI") {
        return PathBuf::from(binary);
    }
    beside_python(python, "uwsgi").unwrap_or_else(|| PathBuf::from("uwsgi"))
}

fn uwsgi(request: &Request, module: &str, socket: &Path) -> anyhow::Result<Command> {
    let binary = uwsgi_binary(&request.python);
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

fn uwsgi_has_python(binary: &Path) -> anyhow::Result<bool> {
    let output = Command::new(binary)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run `{}`: install uWSGI (pyuwsgi from PyPI, or Debian's uwsgi with uwsgi-plugin-python3) beside --python or on PATH, or set WSGI_MIGRATE_UWSGI", binary.display()))?;
    Ok(String::from_utf8_lossy(&output.stdout).contains("--wsgi-file"))
}

/// Poll the unix socket until the server answers one GET, it exits, the time runs out or the
/// user interrupts.
fn get_when_ready(
    child: &mut Child,
    socket: &Path,
    path: &str,
    timeout: Duration,
) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    loop {
        if interrupted() {
            return Err("interrupted".to_owned());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the server exited ({status}) before answering"));
        }
        if let Ok(stream) = UnixStream::connect(socket) {
            match status_line(stream, path, deadline) {
                Ok(Some(status)) => return Ok(status),
                Ok(None) => {}
                Err(problem) => return Err(problem),
            }
        }
        if Instant::now() > deadline {
            return Err(format!("no answer within {} seconds", timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Send one GET and read the answer up to the end of its first line: at most
/// [`RESPONSE_LIMIT`] bytes, until `deadline`. `Ok(None)` when the server closed the connection
/// without a status line (it may not be ready yet).
pub fn status_line(
    mut stream: UnixStream,
    path: &str,
    deadline: Instant,
) -> Result<Option<String>, String> {
    let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return Ok(None);
    }
    let mut response = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        if let Some(end) = response.iter().position(|byte| *byte == b'\n') {
            let line = String::from_utf8_lossy(&response[..end]).trim().to_owned();
            return Ok(line.starts_with("HTTP/").then_some(line));
        }
        if response.len() >= RESPONSE_LIMIT {
            return Err(format!(
                "the first {RESPONSE_LIMIT} bytes of the answer hold no status line"
            ));
        }
        if interrupted() {
            return Err("interrupted".to_owned());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err("no complete status line in time".to_owned());
        }
        let _ = stream.set_read_timeout(Some(left.min(Duration::from_millis(200))));
        let want = buffer.len().min(RESPONSE_LIMIT - response.len());
        match stream.read(&mut buffer[..want]) {
            Ok(0) => {
                let line = String::from_utf8_lossy(&response).trim().to_owned();
                return Ok(line.starts_with("HTTP/").then_some(line));
            }
            Ok(read) => response.extend_from_slice(&buffer[..read]),
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(_) => return Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn servers_are_found_beside_the_interpreter() {
        let dir = tempfile::tempdir().unwrap();
        let python = dir.path().join("bin/python");
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        std::fs::write(&python, "").unwrap();
        let python = python.to_str().unwrap();
        assert_eq!(super::beside_python(python, "uwsgi"), None);
        std::fs::write(dir.path().join("bin/uwsgi"), "").unwrap();
        assert_eq!(
            super::beside_python(python, "uwsgi"),
            Some(dir.path().join("bin/uwsgi"))
        );
        // A directory of that name is no server.
        std::fs::create_dir(dir.path().join("bin/gunicorn")).unwrap();
        assert_eq!(super::beside_python(python, "gunicorn"), None);
    }

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
        // As the uWSGI dialect reads it: a named section, and no commented-out setting.
        assert_eq!(
            super::config_module("[uwsgi:api]\n# module = old:app\nmodule = toy.wsgi.api\n")
                .as_deref(),
            Some("toy.wsgi.api")
        );
    }
}
