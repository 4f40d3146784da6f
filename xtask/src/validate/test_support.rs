//! Test helpers: scratch copies of the fixture patterns under `target/xtask/test-scratch/`, removed on drop.

use std::{
    fs,
    path::{Path, PathBuf},
    sync::atomic::{AtomicUsize, Ordering},
};

use crate::pattern::{Pattern, project_root};

/// The fixture patterns, `xtask/tests/validate/fixtures/<name>/`.
pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/validate/fixtures")
        .join(name)
}

/// A scratch pattern folder; tests edit it freely.
pub struct Scratch {
    root: PathBuf,
    pub dir: PathBuf,
}

impl Scratch {
    /// A fresh copy of fixture `fixture`, in a folder named `name` (the pattern's name).
    pub fn from_fixture(fixture: &str, name: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let unique = format!(
            "{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let root = project_root()
            .join("target/xtask/test-scratch")
            .join(unique);
        let dir = root.join(name);
        let _ = fs::remove_dir_all(&root);
        copy_tree(&fixture_dir(fixture), &dir);
        Scratch { root, dir }
    }

    pub fn write(&self, rel: &str, text: &str) -> &Scratch {
        let path = self.dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        self
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.dir.join(rel)).unwrap()
    }

    /// Replaces `from` (which must occur) with `to` in file `rel`.
    pub fn edit(&self, rel: &str, from: &str, to: &str) -> &Scratch {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        self.write(rel, &text.replacen(from, to, 1))
    }

    pub fn remove(&self, rel: &str) -> &Scratch {
        let path = self.dir.join(rel);
        if path.is_dir() {
            fs::remove_dir_all(path)
        } else {
            fs::remove_file(path)
        }
        .unwrap();
        self
    }

    pub fn pattern(&self) -> Pattern {
        Pattern::load(&self.dir).unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}
