//! `cargo xtask test`: deploy, verify, destroy, with destroy guaranteed (after a failure or Ctrl-C too)
//! unless `--keep`.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use anyhow::{Result, bail};

use crate::{
    deploy::{self, DeployArgs, Deployment},
    pattern::Pattern,
    verify,
};

/// Set by Ctrl-C: the running step's subprocesses get the signal and stop; destroy still runs.
fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let handler_flag = flag.clone();
    // Ignore the error of a second registration (one process tests several patterns).
    let _ = ctrlc::set_handler(move || {
        eprintln!("\ninterrupted: finishing the current step, then destroying");
        handler_flag.store(true, Ordering::SeqCst);
    });
    flag
}

pub fn test(patterns: &[Pattern], args: &DeployArgs) -> Result<()> {
    let interrupted = interrupt_flag();
    let mut failed = Vec::new();
    for pattern in patterns {
        let dep = Deployment::new(pattern, args)?;
        let started = std::time::Instant::now();
        let result = deploy::deploy(&dep, args.keep).and_then(|outputs| {
            if interrupted.load(Ordering::SeqCst) {
                bail!("interrupted");
            }
            verify::run(pattern, &outputs, args.target, false)
        });
        if args.keep {
            println!(
                "kept the deployment of `{}` (--keep): `cargo xtask destroy {}` removes it",
                pattern.name, pattern.name
            );
        } else if let Err(err) = deploy::destroy(&dep) {
            eprintln!("destroy of `{}` failed: {err:#}", pattern.name);
            failed.push(pattern.name.clone());
        }
        match result {
            Ok(()) => println!(
                "{}: test passed in {:.1} s",
                pattern.name,
                started.elapsed().as_secs_f64()
            ),
            Err(err) => {
                eprintln!("{}: test failed: {err:#}", pattern.name);
                failed.push(pattern.name.clone());
            }
        }
        if interrupted.load(Ordering::SeqCst) {
            bail!("interrupted");
        }
    }
    if !failed.is_empty() {
        failed.dedup();
        bail!("test failed for: {}", failed.join(", "));
    }
    Ok(())
}
