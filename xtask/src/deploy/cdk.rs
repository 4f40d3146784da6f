//! The CDK flavour's driver: every pattern with a SAM template, deployed as the AWS CDK app cdk-from-cfn converts
//! it into (xtask/src/cdk.rs).
//!
//! Deploy: the TypeScript app is generated into the work directory (`app/`, its functions' code the zips of this
//! deployment's build), synthesized with the project's pinned toolchain, and its template compared with the SAM
//! template transformed: a resource or output the conversion dropped, added or changed fails here, named, before
//! anything is created. Then the app's file assets go where the synthesized template expects them (the CDK
//! bootstrap bucket), and the template is deployed through the SAM driver's CloudFormation path as stack
//! `srp-<pattern>-cdk`, checked the same way. Destroy is the SAM driver's (the stack is found by its name).
//!
//! On the local cloud, the two things of a `cdk bootstrap` the template refers to are created first: the assets
//! bucket and the `/cdk-bootstrap/<qualifier>/version` parameter its `BootstrapVersion` parameter reads. On AWS
//! the account must be bootstrapped (`cdk bootstrap`); the assets are uploaded with the caller's credentials.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::PathBuf,
};

use anyhow::{Context, Result, bail};

use super::{Deployment, Outputs, sam};
use crate::{
    cdk::{self, compare, toolchain},
    cfn,
    deploy::sam::artifacts,
    flags::{CdkLang, Target},
};

/// The version the local cloud's stand-in bootstrap reports: any the synthesized `CheckBootstrapVersion` rule
/// accepts (6 and later); the bootstrap template AWS CDK 2.1149 deploys is at 30.
const LOCAL_BOOTSTRAP_VERSION: &str = "30";
/// The default bootstrap qualifier (`DefaultStackSynthesizer`).
const QUALIFIER: &str = "hnb659fds";

/// Generates, synthesizes, checks and deploys the CDK app of `dep`'s pattern; returns the stack's outputs.
pub fn deploy(
    dep: &Deployment<'_>,
    endpoint: Option<&str>,
    zips: &BTreeMap<String, PathBuf>,
    parameters: &[(String, String)],
    keep: bool,
) -> Result<Outputs> {
    let driver = sam::Driver::new(dep, endpoint)?;
    let work_dir = dep.work_dir();
    let aws = driver.aws();
    let source = cdk::convert::source(dep.pattern, &work_dir, &aws.region)?;
    let app_dir = work_dir.join("app");
    cdk::generate(
        dep.pattern,
        &source,
        CdkLang::Typescript,
        &app_dir,
        zips.clone(),
        dep.command("deploy"),
    )?;
    let synthesized = toolchain::synth(&app_dir)?;
    crate::interrupt::check().context("stopped after `cdk synth`: nothing was deployed")?;
    let code: BTreeSet<String> = source.functions.keys().cloned().collect();
    let differences = compare::differences(&source.template, &synthesized.template, &code);
    if !differences.is_empty() {
        bail!(
            "the CDK app cdk-from-cfn 0.162.0 made of {} does not declare what the SAM template does (the app is in \
             {}), so nothing was deployed:\n  {}",
            dep.pattern.sam_template().display(),
            app_dir.display(),
            differences.join("\n  ")
        );
    }
    let account = match (&aws.account, endpoint) {
        (Some(account), _) => account.clone(),
        (None, Some(edge)) => local_account(edge)?,
        (None, None) => bail!("no account to deploy the CDK app's assets to"),
    };
    let resolve = |text: &str| {
        text.replace("${AWS::AccountId}", &account)
            .replace("${AWS::Region}", &aws.region)
            .replace("${AWS::Partition}", "aws")
    };
    if let Some(edge) = endpoint {
        local_bootstrap(edge)?;
    }
    for asset in &synthesized.assets {
        let bucket = resolve(&asset.bucket);
        match dep.target {
            Target::Local => artifacts::ensure_bucket(aws, &bucket)?,
            Target::Aws => {
                if aws
                    .block_on(aws.s3.head_bucket().bucket(&bucket).send())
                    .is_err()
                {
                    bail!(
                        "the CDK assets bucket {bucket} is not there: this account and Region are not bootstrapped \
                         for CDK; fix: `npx aws-cdk@{} bootstrap aws://{account}/{}`",
                        cdk::lang::CDK_CLI,
                        aws.region
                    );
                }
            }
        }
        artifacts::upload(aws, &bucket, &resolve(&asset.key), &asset.path)?;
    }
    let text = fs::read_to_string(&synthesized.template_path)
        .with_context(|| format!("reading {}", synthesized.template_path.display()))?;
    let template = cfn::Template::from_json(&synthesized.template_path, text)?;
    driver.deploy_template(&template, parameters, keep)
}

/// The local cloud's account id (STS GetCallerIdentity).
fn local_account(edge: &str) -> Result<String> {
    let (status, body) =
        crate::aws::raw::query(edge, "sts", "Action=GetCallerIdentity&Version=2011-06-15")?;
    let account = crate::aws::raw::xml_texts(&body, "Account")
        .into_iter()
        .next();
    match (status, account) {
        (200, Some(account)) => Ok(account),
        _ => bail!("the local cloud's STS GetCallerIdentity answered {status}: {body}"),
    }
}

/// The bootstrap version parameter a synthesized template reads (its `BootstrapVersion` parameter's default),
/// put on the local cloud.
fn local_bootstrap(edge: &str) -> Result<()> {
    let body = serde_json::json!({
        "Name": format!("/cdk-bootstrap/{QUALIFIER}/version"),
        "Value": LOCAL_BOOTSTRAP_VERSION,
        "Type": "String",
        "Overwrite": true,
    });
    crate::aws::json::call(edge, "ssm", "AmazonSSM.PutParameter", &body)
        .context("putting the CDK bootstrap version parameter on the local cloud")?;
    Ok(())
}
