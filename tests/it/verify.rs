//! `wsgi-migrate verify` against real interpreters and servers: an application that parses
//! `sys.argv`, one that exits while imported, endless answers, hanging imports that spawn
//! processes, and output that is not UTF-8. Every test bounds its own running time.
//!
//! The servers come from the venv `scripts/test` builds (`WSGI_MIGRATE_TEST_PYTHON`); the tests
//! take that venv's `bin` off PATH, so `verify` must find gunicorn and uWSGI beside `--python`.
//! Without them the tests fail: they never skip.

use std::io::Write as _;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::{self, copy_tree, describe, stdout};

/// A toy service whose `toy.app:init` is `app`, migrated by `wsgi-migrate apply`.
fn toy_project(app: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&support::testdata().join("verify-argparse"), dir.path());
    std::fs::write(dir.path().join("toy/app.py"), app).unwrap();
    migrate(dir.path());
    dir
}

fn migrate(project: &Path) {
    let applied = support::wsgi_migrate_in(project, &["apply", project.to_str().unwrap()]);
    assert_eq!(applied.status.code(), Some(0), "{}", describe(&applied));
    assert!(project.join("toy/wsgi/api.py").is_file());
}

/// The test interpreter, as an absolute path (it is given to `--python`).
fn python() -> PathBuf {
    let python = PathBuf::from(support::python());
    if python.is_absolute() {
        return python;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(&python))
        .find(|candidate| candidate.is_file())
        .expect("python3 on PATH")
}

/// Run `verify --python <test python> ARGS`, with the interpreter's own directory taken off
/// PATH, and return its output and how long it took.
fn verify(args: &[&str]) -> (Output, Duration) {
    let python = python();
    let bin = python.parent().unwrap().to_path_buf();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path =
        std::env::join_paths(std::env::split_paths(&path).filter(|dir| *dir != bin)).unwrap();
    let home = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"))
        .args(["--color=never", "verify", "--python"])
        .arg(&python)
        .args(args)
        .env("PATH", path)
        .env("HOME", home.path())
        .env_remove("WSGI_MIGRATE_UWSGI")
        .env_remove("PYTHONPATH")
        .output()
        .expect("the wsgi-migrate binary runs");
    (output, started.elapsed())
}

/// Whether process `pid` is gone (or a zombie waiting for a parent that will never ask).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

fn wait_gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if gone(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn an_application_that_parses_argv_passes_imported_and_served() {
    let project = tempfile::tempdir().unwrap();
    copy_tree(&support::testdata().join("verify-argparse"), project.path());
    migrate(project.path());
    let project = project.path().to_str().unwrap();

    let (imported, _) = verify(&[project]);
    assert_eq!(imported.status.code(), Some(0), "{}", describe(&imported));
    assert!(
        stdout(&imported).contains("ok   toy.wsgi.api: `application` is a builtins.function")
            && stdout(&imported).contains("wsgi-migrate: 1 module: 1 passed, 0 failed\n"),
        "{}",
        describe(&imported)
    );
    let (gunicorn, _) = verify(&["--serve", "gunicorn", "--path", "/x", project]);
    assert_eq!(gunicorn.status.code(), Some(0), "{}", describe(&gunicorn));
    assert!(
        stdout(&gunicorn).contains("ok   toy.wsgi.api: gunicorn answered `HTTP/1.0 200 OK`"),
        "{}",
        describe(&gunicorn)
    );
    let (uwsgi, _) = verify(&["--serve", "uwsgi", project]);
    assert_eq!(uwsgi.status.code(), Some(0), "{}", describe(&uwsgi));
    assert!(
        stdout(&uwsgi).contains("ok   toy.wsgi.api: uwsgi answered `HTTP/1."),
        "{}",
        describe(&uwsgi)
    );
}

#[test]
fn an_application_that_exits_on_import_is_reported_with_its_status_and_argv() {
    let project = toy_project(
        "import argparse\n\n\ndef init():\n    parser = argparse.ArgumentParser()\n    parser.add_argument('config')\n    parser.parse_args()\n",
    );
    let (output, _) = verify(&[project.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let out = stdout(&output);
    assert!(
        out.contains("FAIL toy.wsgi.api: the module exited while it was imported, with status 2 (its sys.argv was ['wsgi-migrate-verify'])")
            && out.contains("wsgi-migrate: 1 module: 0 passed, 1 failed\n"),
        "{}",
        describe(&output)
    );
}

/// An application that streams its answer forever.
const ENDLESS: &str = "def init():\n    def application(environ, start_response):\n        start_response('200 OK', [('Content-Type', 'text/plain')])\n        chunk = b'x' * 65536\n        while True:\n            yield chunk\n    return application\n";

#[test]
fn an_endless_answer_is_read_only_up_to_its_status_line() {
    let project = toy_project(ENDLESS);
    let (output, took) = verify(&[
        "--serve",
        "gunicorn",
        "--timeout",
        "20",
        project.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(
        stdout(&output).contains("gunicorn answered `HTTP/1.0 200 OK`"),
        "{}",
        describe(&output)
    );
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

/// A server that never ends its first line, and one that never finishes it.
#[test]
fn an_answer_without_a_status_line_is_bounded_in_bytes_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("endless.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let chunk = vec![b'x'; 1 << 16];
        while stream.write_all(&chunk).is_ok() {}
    });
    let started = Instant::now();
    let stream = std::os::unix::net::UnixStream::connect(&socket).unwrap();
    let answer = wsgi_migrate::effects::verify::status_line(
        stream,
        "/",
        Instant::now() + Duration::from_secs(30),
    );
    assert_eq!(
        answer,
        Err("the first 65536 bytes of the answer hold no status line".to_owned())
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    let socket = dir.path().join("drip.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let _ = stream.write_all(b"HTTP/1.0 2");
        std::thread::sleep(Duration::from_secs(30));
    });
    let started = Instant::now();
    let stream = std::os::unix::net::UnixStream::connect(&socket).unwrap();
    let answer = wsgi_migrate::effects::verify::status_line(
        stream,
        "/",
        Instant::now() + Duration::from_secs(1),
    );
    assert_eq!(answer, Err("no complete status line in time".to_owned()));
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// `init` starts a `sleep` (writing its PID beside the package), then returns or hangs.
fn spawner(then: &str) -> String {
    format!(
        "import os\nimport subprocess\nimport time\n\n\ndef init():\n    child = subprocess.Popen(['sleep', '300'])\n    with open(os.path.join(os.path.dirname(__file__), '..', 'spawned.pid'), 'w') as f:\n        f.write(str(child.pid))\n    {then}\n    return lambda environ, start_response: []\n"
    )
}

fn spawned_pid(project: &Path) -> u32 {
    std::fs::read_to_string(project.join("spawned.pid"))
        .expect("the module wrote the PID of its child")
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_hanging_import_is_stopped_with_the_processes_it_spawned() {
    let project = toy_project(&spawner("time.sleep(300)"));
    let (output, took) = verify(&["--timeout", "3", project.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        stdout(&output).contains("FAIL toy.wsgi.api: the import took longer than 3 seconds"),
        "{}",
        describe(&output)
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
    let pid = spawned_pid(project.path());
    assert!(wait_gone(pid), "the module's child {pid} survived verify");
}

#[test]
fn processes_an_import_spawned_do_not_outlive_it() {
    let project = toy_project(&spawner("pass"));
    let (output, _) = verify(&[project.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let pid = spawned_pid(project.path());
    assert!(wait_gone(pid), "the module's child {pid} survived verify");
}

#[test]
fn output_that_is_not_utf8_is_shown_lossily() {
    // Dies on import after writing bytes that are not UTF-8.
    let project = toy_project(
        "import os\nimport sys\n\n\ndef init():\n    sys.stderr.buffer.write(b'\\xff\\xfe broken \\xc3\\n')\n    sys.stderr.flush()\n    os._exit(3)\n",
    );
    let (output, took) = verify(&[project.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        stdout(&output).contains(
            "FAIL toy.wsgi.api: the interpreter stopped (exit status: 3): \u{fffd}\u{fffd} broken \u{fffd}"
        ),
        "{}",
        describe(&output)
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
    // Prints such bytes on stdout and works: the answer is still found.
    let project = toy_project(
        "import sys\n\n\ndef init():\n    sys.stdout.buffer.write(b'\\xff loading\\n')\n    return lambda environ, start_response: []\n",
    );
    let (output, _) = verify(&[project.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

#[test]
fn flags_without_effect_are_usage_errors() {
    let project = support::testdata().join("verify-argparse");
    let project = project.to_str().unwrap();
    let (output, _) = verify(&["--serve", "gunicorn", "--config", "uwsgi.ini", project]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains(
            "`--config` starts uWSGI from an ini file and has no effect without `--serve uwsgi`"
        ),
        "{}",
        describe(&output)
    );
    for args in [["--path", "/x"], ["--config", "uwsgi.ini"]] {
        let (output, _) = verify(&[args[0], args[1], project]);
        assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("--serve"),
            "{}",
            describe(&output)
        );
    }
}

#[test]
fn ctrl_c_stops_the_import_and_the_processes_it_spawned() {
    let project = toy_project(&spawner("time.sleep(300)"));
    let home = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_wsgi-migrate"))
        .args(["--color=never", "verify", "--python"])
        .arg(python())
        .arg(project.path())
        .env("HOME", home.path())
        .env_remove("PYTHONPATH")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid_file = project.path().join("spawned.pid");
    while !pid_file.is_file() || std::fs::read_to_string(&pid_file).unwrap().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the module never started its child"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let verify_pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(verify_pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        stdout(&output).contains("FAIL toy.wsgi.api: the import was interrupted"),
        "{}",
        describe(&output)
    );
    let pid = spawned_pid(project.path());
    assert!(wait_gone(pid), "the module's child {pid} survived verify");
}

#[test]
fn a_module_that_prints_forever_on_import_is_stopped_in_time() {
    let project = toy_project(
        "import sys\n\n\ndef init():\n    line = 'x' * 65535 + '\\n'\n    while True:\n        sys.stdout.write(line)\n",
    );
    let (output, took) = verify(&["--timeout", "3", project.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        stdout(&output).contains("FAIL toy.wsgi.api: the import took longer than 3 seconds"),
        "{}",
        describe(&output)
    );
    assert!(output.stdout.len() < 4096, "{}", describe(&output));
    assert!(took < Duration::from_secs(30), "took {took:?}");
}
