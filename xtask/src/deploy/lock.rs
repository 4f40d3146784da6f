//! One deploy or destroy at a time per work directory: a lock file naming its holder; stale locks (ours of a
//! dead process, terraform's of a killed terraform) are broken with a note.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};

/// Held while a deployment changes; removed on drop.
pub struct Lock {
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        crate::interrupt::untrack_lock(&self.path);
    }
}

/// Takes the lock of `work_dir`, refusing when a live process holds it; a stale lock (dead holder) is taken over.
pub fn acquire(work_dir: &Path) -> Result<Lock> {
    fs::create_dir_all(work_dir).with_context(|| format!("creating {}", work_dir.display()))?;
    let path = work_dir.join("lock");
    let holder = format!(
        "pid {} ({})",
        std::process::id(),
        std::env::args().collect::<Vec<_>>().join(" ")
    );
    for _ in 0..2 {
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                file.write_all(holder.as_bytes())?;
                crate::interrupt::track_lock(path.clone());
                break_terraform_lock(work_dir);
                return Ok(Lock { path });
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                let current = fs::read_to_string(&path).unwrap_or_default();
                let pid: Option<u32> = current
                    .strip_prefix("pid ")
                    .and_then(|s| s.split_whitespace().next()?.parse().ok());
                match pid {
                    Some(pid) if Path::new(&format!("/proc/{pid}")).exists() => bail!(
                        "{} is locked by {current}: another deploy/destroy of this pattern is running; \
                         wait for it or stop it",
                        work_dir.display()
                    ),
                    _ => {
                        eprintln!(
                            "note: broke the stale lock {} ({}, no longer running)",
                            path.display(),
                            current.trim()
                        );
                        fs::remove_file(&path).ok()
                    }
                };
            }
            Err(err) => return Err(err).with_context(|| format!("creating {}", path.display())),
        }
    }
    bail!("could not take the lock {}", path.display())
}

/// Terraform's own lock beside the state: whoever holds this process's lock on the work directory is the only
/// one running terraform there, so a terraform lock found now was left by a terraform that was killed.
fn break_terraform_lock(work_dir: &Path) {
    let stale = work_dir.join(".terraform.tfstate.lock.info");
    if stale.exists() && fs::remove_file(&stale).is_ok() {
        eprintln!(
            "note: broke terraform's stale state lock {} (left by a terraform that was killed)",
            stale.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_holder_is_refused_and_a_stale_one_taken_over() {
        let dir = std::env::temp_dir().join(format!("xtask-lock-{}", std::process::id()));
        let lock = acquire(&dir).unwrap();
        let err = acquire(&dir)
            .err()
            .expect("second lock must be refused")
            .to_string();
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(lock);
        fs::write(dir.join("lock"), "pid 4000000000 (dead)").unwrap();
        let again = acquire(&dir).expect("stale lock is taken over");
        drop(again);
        fs::write(dir.join(".terraform.tfstate.lock.info"), "{}").unwrap();
        let third = acquire(&dir).unwrap();
        assert!(
            !dir.join(".terraform.tfstate.lock.info").exists(),
            "terraform's lock is stale once ours is taken"
        );
        drop(third);
        fs::remove_dir_all(&dir).unwrap();
    }
}
