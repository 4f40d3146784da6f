//! Checks that act and judge the answer, through the AWS CLI: a function invoked, a Step Functions execution
//! started and awaited, a Cognito user created and signed in (its tokens become placeholders).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{
    Check, Values,
    answer::{answer_matches, shorten},
    args,
    check::{CognitoUser, Invoke, StartExecution},
    cli::Cli,
    placeholders::expand,
    poll::Backoff,
};

/// Invokes the function synchronously with the payload; judges its answer (or its error document).
pub fn invoke(invoke: &Invoke, check: &Check, values: &Values, cli: &Cli) -> Result<String> {
    let function = expand(&invoke.function, values)?;
    let payload = expand(invoke.payload.as_deref().unwrap_or("{}"), values)?;
    // `fileb://`: raw bytes on AWS CLI v1 and v2 alike (v2 would read a plain `--payload` as base64).
    let payload = cli.file("payload.json", payload.as_bytes())?;
    let answer_file = cli.path("answer.json");
    let out = cli.call(
        "lambda",
        "invoke",
        &args![
            "--function-name",
            function.as_str(),
            "--payload",
            format!("fileb://{}", payload.display()),
            answer_file.display().to_string()
        ],
    )?;
    let answer = std::fs::read_to_string(&answer_file).unwrap_or_default();
    match (out["FunctionError"].as_str(), invoke.error) {
        (Some(kind), false) => bail!("{function} failed ({kind}): {answer}"),
        (None, true) => bail!("{function} answered without the expected error: {answer}"),
        _ => {}
    }
    answer_matches(check, &answer, values).with_context(|| format!("the answer of {function}"))?;
    Ok(format!("{function} answered {}", shorten(&answer)))
}

/// Starts an execution, awaits its end, judges its status, error, output (or cause) and task attempts.
pub fn start_execution(
    execution: &StartExecution,
    check: &Check,
    values: &Values,
    cli: &Cli,
) -> Result<String> {
    let machine = expand(&execution.state_machine, values)?;
    let input = expand(execution.input.as_deref().unwrap_or("{}"), values)?;
    let started = cli.call(
        "stepfunctions",
        "start-execution",
        &args!["--state-machine-arn", machine.as_str(), "--input", input],
    )?;
    let arn = started["executionArn"]
        .as_str()
        .context("StartExecution answered no executionArn")?
        .to_owned();
    let timeout = execution.timeout.unwrap_or(60);
    let deadline = Instant::now() + Duration::from_secs(timeout);
    let mut backoff = Backoff::default();
    let out = loop {
        let out = cli.call(
            "stepfunctions",
            "describe-execution",
            &args!["--execution-arn", arn.as_str()],
        )?;
        if out["status"] != "RUNNING" {
            break out;
        }
        if Instant::now() > deadline {
            bail!("{arn} still RUNNING after {timeout} s");
        }
        backoff.wait_until(deadline);
    };
    let text = |field: &str| out[field].as_str().unwrap_or_default().to_owned();
    let (status, error) = (text("status"), text("error"));
    let answer = if status == "SUCCEEDED" {
        text("output")
    } else {
        text("cause")
    };
    if status != execution.status() {
        bail!(
            "{arn} ended {status} (error {error:?}: {answer}); expected {}",
            execution.status()
        );
    }
    if let Some(expected) = &execution.error
        && error != expand(expected, values)?
    {
        bail!("{arn} failed with the error {error:?}, not {expected:?} (cause: {answer})");
    }
    answer_matches(check, &answer, values).with_context(|| format!("the end of {arn}"))?;
    let mut summary = format!("{arn} {status}");
    if let Some(expected) = execution.attempts {
        // The CLI follows every page of the history itself.
        let history = cli.call(
            "stepfunctions",
            "get-execution-history",
            &args!["--execution-arn", arn.as_str()],
        )?;
        let attempts = history["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| {
                matches!(
                    e["type"].as_str(),
                    Some("TaskScheduled" | "LambdaFunctionScheduled")
                )
            })
            .count();
        if attempts != expected {
            bail!("{arn}'s history shows {attempts} task attempts; expected {expected}");
        }
        summary.push_str(&format!(" after {attempts} task attempts"));
    }
    Ok(summary)
}

/// Creates the user `{run_id}` in the pool and signs it in with `ADMIN_USER_PASSWORD_AUTH`; its tokens become
/// `{id_token}` and `{access_token}`.
pub fn sign_in(user: &CognitoUser, values: &mut Values, cli: &Cli) -> Result<String> {
    let pool = expand(&user.user_pool, values)?;
    let client = expand(&user.client, values)?;
    let username = values["run_id"].as_str().unwrap_or_default().to_owned();
    // Meets a pool's default password policy (8+ characters, upper and lower case, a digit, a symbol).
    let password = format!("Verify-{username}-Pw1!");
    cli.call(
        "cognito-idp",
        "admin-create-user",
        &args![
            "--user-pool-id",
            pool.as_str(),
            "--username",
            username.as_str(),
            "--message-action",
            "SUPPRESS",
            "--user-attributes",
            format!("Name=email,Value={username}@example.com")
        ],
    )?;
    cli.call(
        "cognito-idp",
        "admin-set-user-password",
        &args![
            "--user-pool-id",
            pool.as_str(),
            "--username",
            username.as_str(),
            "--password",
            password.as_str(),
            "--permanent"
        ],
    )?;
    let auth = cli
        .call(
            "cognito-idp",
            "admin-initiate-auth",
            &args![
                "--user-pool-id",
                pool.as_str(),
                "--client-id",
                client,
                "--auth-flow",
                "ADMIN_USER_PASSWORD_AUTH",
                "--auth-parameters",
                format!("USERNAME={username},PASSWORD={password}")
            ],
        )
        .context("the app client must allow ADMIN_USER_PASSWORD_AUTH")?;
    for (name, field) in [("id_token", "IdToken"), ("access_token", "AccessToken")] {
        let token = auth["AuthenticationResult"][field]
            .as_str()
            .with_context(|| format!("AdminInitiateAuth for {username} gave no {field}"))?;
        values.insert(name.to_owned(), token.into());
    }
    Ok(format!(
        "{username} signed in to {pool}: {{id_token}} and {{access_token}} captured"
    ))
}
