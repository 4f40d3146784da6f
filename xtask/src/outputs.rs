//! `cargo xtask outputs`: the outputs the last successful deploy saved, as `name = value` lines or one JSON
//! object.

use anyhow::Result;

use crate::{
    deploy::{Deployment, Outputs},
    flags::DeployArgs,
    pattern,
};

/// `cargo xtask outputs`: prints the saved outputs of the pattern named `name`.
pub fn run(name: &str, args: &DeployArgs, json: bool) -> Result<()> {
    let pattern = pattern::one(name)?;
    let outputs = Deployment::new(&pattern, args)?.saved_outputs()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&outputs)?);
    } else {
        print(&outputs);
    }
    Ok(())
}

/// One `name = value` line per output, the names aligned (`deploy` prints its outputs so too).
pub fn print(outputs: &Outputs) {
    let width = outputs.keys().map(String::len).max().unwrap_or(0);
    for (name, value) in outputs {
        match value.as_str() {
            Some(s) => println!("{name:width$} = {s}"),
            None => println!("{name:width$} = {value}"),
        }
    }
}
