//! The artifacts bucket: one per account and Region (`srp-artifacts-local` on the local cloud), created on first
//! use; each Lambda zip is uploaded once under `<pattern>/<crate>/<sha256>.zip`, each state machine definition
//! under `<pattern>/definitions/<sha256>.json` (content-addressed, so an unchanged build is not uploaded again and
//! its key, hence the template, does not change).

use std::{fs, path::Path};

use anyhow::{Context, Result};
use aws_sdk_s3::{
    primitives::ByteStream,
    types::{BucketLocationConstraint, CreateBucketConfiguration, Delete, ObjectIdentifier},
};
use sha2::{Digest, Sha256};

use super::aws::{Aws, sdk_error};

/// The bucket's name. Lambda reads code only from a bucket in the function's Region, so on AWS the Region is
/// part of the name (bucket names are global).
pub fn bucket_name(aws: &Aws) -> String {
    match &aws.account {
        Some(account) => format!("srp-artifacts-{account}-{}", aws.region),
        None => "srp-artifacts-local".to_owned(),
    }
}

/// The key of a crate's zip.
pub fn key(pattern: &str, package: &str, sha256: &str) -> String {
    format!("{pattern}/{package}/{sha256}.zip")
}

/// The key of a state machine definition (an ASL file; its extension is kept, `json` when it has none).
pub fn definition_key(pattern: &str, file: &Path, sha256: &str) -> String {
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("json");
    format!("{pattern}/definitions/{sha256}.{ext}")
}

/// The hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> Result<String> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// Creates the bucket unless it exists (and is ours).
pub fn ensure_bucket(aws: &Aws, bucket: &str) -> Result<()> {
    if aws
        .block_on(aws.s3.head_bucket().bucket(bucket).send())
        .is_ok()
    {
        return Ok(());
    }
    let mut create = aws.s3.create_bucket().bucket(bucket);
    if aws.region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(aws.region.as_str()))
                .build(),
        );
    }
    match aws.block_on(create.send()) {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_bucket_already_owned_by_you()) =>
        {
            Ok(())
        }
        Err(e) => Err(sdk_error(e)).with_context(|| {
            format!(
                "creating the artifacts bucket {bucket} (in {}); fix: allow s3:CreateBucket, or create it",
                aws.region
            )
        }),
    }
}

/// Uploads `zip` to `bucket/key` unless an object is already there (keys are content hashes).
pub fn upload(aws: &Aws, bucket: &str, key: &str, zip: &Path) -> Result<()> {
    upload_as(aws, bucket, key, zip, "application/zip")
}

/// Uploads `file` to `bucket/key` with `content_type` unless an object is already there (keys are content
/// hashes).
pub fn upload_as(
    aws: &Aws,
    bucket: &str,
    key: &str,
    file: &Path,
    content_type: &str,
) -> Result<()> {
    if aws
        .block_on(aws.s3.head_object().bucket(bucket).key(key).send())
        .is_ok()
    {
        return Ok(());
    }
    let body = aws
        .block_on(ByteStream::from_path(file))
        .with_context(|| format!("reading {}", file.display()))?;
    aws.block_on(
        aws.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .body(body)
            .send(),
    )
    .map_err(sdk_error)
    .with_context(|| format!("uploading {} to s3://{bucket}/{key}", file.display()))?;
    Ok(())
}

/// Deletes every object under `prefix` (nothing when the bucket does not exist); returns how many.
pub fn delete_prefix(aws: &Aws, bucket: &str, prefix: &str) -> Result<usize> {
    if aws
        .block_on(aws.s3.head_bucket().bucket(bucket).send())
        .is_err()
    {
        return Ok(0);
    }
    let mut deleted = 0;
    loop {
        let page = aws
            .block_on(
                aws.s3
                    .list_objects_v2()
                    .bucket(bucket)
                    .prefix(prefix)
                    .send(),
            )
            .map_err(sdk_error)
            .with_context(|| format!("listing s3://{bucket}/{prefix}"))?;
        let ids: Vec<ObjectIdentifier> = page
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
            .collect();
        if ids.is_empty() {
            return Ok(deleted);
        }
        deleted += ids.len();
        let delete = Delete::builder()
            .set_objects(Some(ids))
            .build()
            .context("building DeleteObjects")?;
        aws.block_on(aws.s3.delete_objects().bucket(bucket).delete(delete).send())
            .map_err(sdk_error)
            .with_context(|| format!("deleting s3://{bucket}/{prefix}*"))?;
    }
}

/// Empties every bucket among a stack's `resources` before the stack is deleted: CloudFormation deletes only
/// empty buckets (a pattern's bucket holds what its verify uploaded).
pub fn empty_buckets(aws: &Aws, resources: &[super::stack::StackResource]) -> Result<()> {
    for bucket in resources
        .iter()
        .filter(|r| r.resource_type == "AWS::S3::Bucket" && !r.physical_id.is_empty())
    {
        let emptied = delete_prefix(aws, &bucket.physical_id, "")?;
        if emptied > 0 {
            println!(
                "emptied bucket {} ({emptied} objects): CloudFormation deletes only empty buckets",
                bucket.physical_id
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_content_addressed_per_pattern_and_crate() {
        let path = std::env::temp_dir().join(format!("xtask-sha-{}", std::process::id()));
        fs::write(&path, b"abc").unwrap();
        let sha = sha256_file(&path).unwrap();
        fs::remove_file(&path).unwrap();
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            key("p", "items-api", &sha),
            format!("p/items-api/{sha}.zip")
        );
        assert_eq!(
            definition_key("p", Path::new("/x/statemachine/flow.asl.json"), &sha),
            format!("p/definitions/{sha}.json")
        );
        assert_eq!(
            definition_key("p", Path::new("flow"), "abc"),
            "p/definitions/abc.json"
        );
    }
}
