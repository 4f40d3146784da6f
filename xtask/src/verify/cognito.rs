//! The `cognito_user` check: a user of a Cognito user pool, created and signed in through the Cognito API as an
//! application's back end would (AdminCreateUser, AdminSetUserPassword, AdminInitiateAuth with
//! `ADMIN_USER_PASSWORD_AUTH`, which the app client must allow), so that later checks send its tokens
//! (`{id_token}`, `{access_token}`) to an API that trusts the pool.

use anyhow::{Context, Result, anyhow};
use aws_sdk_cognitoidentityprovider::{
    Client,
    error::DisplayErrorContext,
    types::{AttributeType, AuthFlowType, MessageActionType},
};

use super::{Run, check::CognitoUser, placeholders::expand};

/// Creates and signs in the user `{run_id}`; stores its tokens as placeholders. Returns what it did.
pub fn sign_in(user: &CognitoUser, run: &mut Run) -> Result<String> {
    let pool = expand(&user.user_pool, &run.values)?;
    let client_id = expand(&user.client, &run.values)?;
    let run_id = run.values["run_id"].as_str().unwrap_or_default().to_owned();
    let username = run_id.clone();
    // Meets a pool's default password policy (8+ characters, upper and lower case, a digit, a symbol).
    let password = format!("Verify-{run_id}-Pw1!");
    let (rt, config) = {
        let rt = crate::aws::sdk::runtime()?;
        let config = rt.block_on(crate::aws::sdk::config(run.edge_url.as_deref()));
        (rt, config)
    };
    let cognito = Client::new(&config);
    let sdk =
        |what: &str, err: &dyn std::fmt::Display| anyhow!("{what} in user pool {pool}: {err}");
    rt.block_on(
        cognito
            .admin_create_user()
            .user_pool_id(&pool)
            .username(&username)
            .message_action(MessageActionType::Suppress)
            .user_attributes(
                AttributeType::builder()
                    .name("email")
                    .value(format!("{username}@example.com"))
                    .build()?,
            )
            .send(),
    )
    .map_err(|e| sdk("AdminCreateUser", &DisplayErrorContext(e)))?;
    rt.block_on(
        cognito
            .admin_set_user_password()
            .user_pool_id(&pool)
            .username(&username)
            .password(&password)
            .permanent(true)
            .send(),
    )
    .map_err(|e| sdk("AdminSetUserPassword", &DisplayErrorContext(e)))?;
    let auth = rt
        .block_on(
            cognito
                .admin_initiate_auth()
                .user_pool_id(&pool)
                .client_id(&client_id)
                .auth_flow(AuthFlowType::AdminUserPasswordAuth)
                .auth_parameters("USERNAME", &username)
                .auth_parameters("PASSWORD", &password)
                .send(),
        )
        .map_err(|e| {
            sdk(
                "AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH; the app client must allow it)",
                &DisplayErrorContext(e),
            )
        })?;
    let tokens = auth.authentication_result().with_context(|| {
        format!("AdminInitiateAuth for {username} answered a challenge, not tokens")
    })?;
    for (name, token) in [
        ("id_token", tokens.id_token()),
        ("access_token", tokens.access_token()),
    ] {
        let token = token.with_context(|| format!("AdminInitiateAuth gave no {name}"))?;
        run.values.insert(name.to_owned(), token.into());
    }
    Ok(format!(
        "{username} signed in to {pool}: {{id_token}} and {{access_token}} captured"
    ))
}
