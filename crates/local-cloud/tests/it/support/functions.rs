//! Functions and roles: the `fidelity-fn` test function (built once, laid out as unpacked Lambda code or as a
//! deployment package), a shell-script function for the AWS CLI, IAM roles and CreateFunction through moto.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use aws_sdk_lambda::{
    operation::create_function::{CreateFunctionOutput, builders::CreateFunctionFluentBuilder},
    primitives::Blob,
    types::{Environment, FunctionCode, Runtime},
};
use local_cloud::aws::Clients;

/// The role [`create_role`] makes, which [`create_function`] gives every function.
pub const ROLE: &str = "arn:aws:iam::123456789012:role/fidelity-role";

/// The `fidelity-fn` binary ([`super::build`]).
pub fn fidelity_binary() -> &'static Path {
    &super::build::binaries().fidelity_fn
}

/// A code directory whose `bootstrap` is `fidelity-fn` (a symlink to the built binary).
pub fn fidelity_code_dir() -> PathBuf {
    let dir = super::temp_dir("lc-fidelity-code");
    std::os::unix::fs::symlink(fidelity_binary(), dir.join("bootstrap")).unwrap();
    dir
}

/// A deployment package (zip) whose `bootstrap` is `fidelity-fn`.
pub fn fidelity_zip() -> Vec<u8> {
    use std::io::Write;
    let binary = std::fs::read(fidelity_binary()).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut out);
    writer
        .start_file(
            "bootstrap",
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .unix_permissions(0o755),
        )
        .unwrap();
    writer.write_all(&binary).unwrap();
    writer.finish().unwrap();
    out.into_inner()
}

/// IAM CreateRole of [`ROLE`] through moto's query API.
pub async fn create_role(moto_url: &str) {
    super::moto::query(
        moto_url,
        "iam",
        &[
            ("Action", "CreateRole"),
            ("RoleName", "fidelity-role"),
            ("AssumeRolePolicyDocument", "{}"),
        ],
    )
    .await;
}

/// CreateFunction of `fidelity-fn` in `mode` (its `FIDELITY_MODE`) as `name`: `provided.al2023`, handler
/// `bootstrap`, [`ROLE`], a 5 s timeout. Returns the function's ARN.
pub async fn create_function(clients: &Clients, name: &str, mode: &str, zip: &[u8]) -> String {
    create_function_with(clients, name, mode, zip, |f| f)
        .await
        .function_arn()
        .unwrap()
        .to_owned()
}

/// [`create_function`], with the request changed by `change` (e.g. another runtime, timeout, memory size).
pub async fn create_function_with(
    clients: &Clients,
    name: &str,
    mode: &str,
    zip: &[u8],
    change: impl FnOnce(CreateFunctionFluentBuilder) -> CreateFunctionFluentBuilder,
) -> CreateFunctionOutput {
    let request = clients
        .lambda
        .create_function()
        .function_name(name)
        .runtime(Runtime::Providedal2023)
        .handler("bootstrap")
        .role(ROLE)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(zip.to_vec()))
                .build(),
        )
        .environment(
            Environment::builder()
                .variables("FIDELITY_MODE", mode)
                .build(),
        )
        .timeout(5);
    change(request)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateFunction {name}: {e:?}"))
}

/// A `provided.al2023` function whose `bootstrap` is a shell script speaking the Runtime API with curl: it
/// appends each event to `$EVENTS_FILE` and answers `{"got": EVENT}`, or fails when the event has `"fail"`.
const ECHO_BOOTSTRAP: &str = r#"#!/bin/sh
api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
while true; do
  headers=$(mktemp)
  # As every runtime does, it exits when the Runtime API is gone (its daemon killed), instead of spinning.
  event=$(curl -sS -f -D "$headers" "$api/next") || exit 1
  id=$(grep -i '^lambda-runtime-aws-request-id:' "$headers" | cut -d' ' -f2 | tr -d '\r')
  rm -f "$headers"
  printf '%s\n' "$event" >> "$EVENTS_FILE"
  case "$event" in
    *'"fail"'*) curl -sS -X POST "$api/$id/error" -d '{"errorMessage":"asked to fail","errorType":"Boom"}' >/dev/null ;;
    *) curl -sS -X POST "$api/$id/response" -d "{\"got\": $event}" >/dev/null ;;
  esac
done
"#;

/// The deployment package of the [`ECHO_BOOTSTRAP`] function, written to `dir/echo.zip` (with python, as a
/// user of the AWS CLI would).
pub fn echo_function_zip(dir: &Path) -> PathBuf {
    let zip_path = dir.join("echo.zip");
    let script = format!(
        "import zipfile\nz = zipfile.ZipFile({:?}, 'w')\ni = zipfile.ZipInfo('bootstrap')\ni.external_attr = 0o755 << 16\n\
         z.writestr(i, {ECHO_BOOTSTRAP:?})\nz.close()\n",
        zip_path.display().to_string()
    );
    let status = Command::new(super::python())
        .args(["-c", &script])
        .status()
        .unwrap();
    assert!(status.success(), "building the test function's zip");
    zip_path
}
