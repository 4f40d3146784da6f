//! The `invoke` check: a function invoked synchronously with a payload through the Lambda API, as a test harness
//! or another service would, its answer asserted with `json` / `body_contains` ([`answer_matches`]); a function
//! error fails the check unless `error = true` expects it (then its error document is the answer).

use anyhow::{Context, Result, anyhow, bail};
use aws_sdk_lambda::{error::DisplayErrorContext, primitives::Blob};

use super::{Check, Run, check::Invoke, placeholders::expand};
pub use pattern_checks::answer::answer_matches;
use pattern_checks::answer::shorten;

pub fn run(invoke: &Invoke, check: &Check, run: &mut Run) -> Result<String> {
    let function = expand(&invoke.function, &run.values)?;
    let payload = expand(invoke.payload.as_deref().unwrap_or("{}"), &run.values)?;
    let rt = crate::aws::sdk::runtime()?;
    let config = rt.block_on(crate::aws::sdk::config(run.edge_url.as_deref()));
    let lambda = aws_sdk_lambda::Client::new(&config);
    let out = rt
        .block_on(
            lambda
                .invoke()
                .function_name(&function)
                .payload(Blob::new(payload))
                .send(),
        )
        .map_err(|e| anyhow!("Invoke {function}: {}", DisplayErrorContext(e)))?;
    let answer = out
        .payload()
        .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
        .unwrap_or_default();
    match (out.function_error(), invoke.error) {
        (Some(kind), false) => bail!("{function} failed ({kind}): {answer}"),
        (None, true) => bail!("{function} answered without the expected error: {answer}"),
        _ => {}
    }
    answer_matches(check, &answer, &run.values)
        .with_context(|| format!("the answer of {function}"))?;
    Ok(format!("{function} answered {}", shorten(&answer)))
}
