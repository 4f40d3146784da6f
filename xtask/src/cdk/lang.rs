//! The files of a CDK app that depend on its language: the app entry (which creates the stack and makes each
//! function's code the CDK asset of its crate's zip), the stack file's name, the package manifest with the pinned
//! `aws-cdk-lib`, `cdk.json`'s `app` command, and how the README installs and runs it.

use crate::flags::CdkLang;

/// The `aws-cdk-lib` every language's manifest pins (npm, PyPI, Maven, Go, NuGet publish the same release).
pub const CDK_LIB: &str = "2.275.0";
/// `constructs`, its peer.
pub const CONSTRUCTS: &str = "10.8.1";
/// The CDK CLI (npm `aws-cdk`) the TypeScript app pins and the README of the others runs through npx.
pub const CDK_CLI: &str = "2.1149.0";

/// The TypeScript app's manifest and lock (the same files install the project's own toolchain, see
/// [`super::toolchain`]).
pub const PACKAGE_JSON: &str = include_str!("typescript/package.json");
pub const PACKAGE_LOCK: &str = include_str!("typescript/package-lock.json");
const TSCONFIG: &str = include_str!("typescript/tsconfig.json");

/// What the app entry needs to know.
pub struct Entry<'a> {
    /// The stack class cdk-from-cfn wrote.
    pub class: &'a str,
    /// The stack's construct id, which is its name when deployed.
    pub stack_id: &'a str,
    /// Function logical id -> its zip, relative to the app folder.
    pub code: &'a [(String, String)],
}

/// Where cdk-from-cfn's stack source goes, relative to the app folder.
pub fn stack_file(lang: CdkLang, class: &str) -> String {
    match lang {
        CdkLang::Typescript => "lib/stack.ts".to_owned(),
        CdkLang::Python => "stack.py".to_owned(),
        CdkLang::Java => format!("src/main/java/com/myorg/{class}.java"),
        CdkLang::Go => "stack.go".to_owned(),
        CdkLang::Csharp => "src/Stack.cs".to_owned(),
    }
}

/// `cdk.json`'s `app`: how the CDK CLI runs the app.
pub fn app_command(lang: CdkLang) -> &'static str {
    match lang {
        CdkLang::Typescript => "npx ts-node --prefer-ts-exts bin/app.ts",
        CdkLang::Python => "python3 app.py",
        CdkLang::Java => "mvn -e -q compile exec:java",
        CdkLang::Go => "go mod download && go run .",
        CdkLang::Csharp => "dotnet run --project src/App.csproj",
    }
}

/// How the README installs the app's dependencies and which `cdk` it runs.
pub fn install_and_cli(lang: CdkLang) -> (&'static str, String) {
    let npx = format!("npx aws-cdk@{CDK_CLI}");
    match lang {
        CdkLang::Typescript => ("npm ci", "npx cdk".to_owned()),
        CdkLang::Python => (
            "python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt",
            npx,
        ),
        CdkLang::Java => ("mvn -q compile", npx),
        CdkLang::Go => ("go mod tidy", npx),
        CdkLang::Csharp => ("dotnet restore src/App.csproj", npx),
    }
}

/// A string literal in the app's language (the values are logical ids and relative paths).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}

/// The language's own files: `(path relative to the app folder, content)`, the stack file aside.
pub fn files(lang: CdkLang, entry: &Entry<'_>) -> Vec<(String, String)> {
    let class = entry.class;
    let id = quoted(entry.stack_id);
    let pairs = |sep: &str, open: &str, close: &str| {
        entry
            .code
            .iter()
            .map(|(logical, zip)| format!("{open}{}{sep}{}{close}", quoted(logical), quoted(zip)))
            .collect::<Vec<_>>()
    };
    match lang {
        CdkLang::Typescript => {
            let code = pairs(": ", "  ", ",").join("\n");
            vec![
                ("package.json".into(), PACKAGE_JSON.into()),
                ("package-lock.json".into(), PACKAGE_LOCK.into()),
                ("tsconfig.json".into(), TSCONFIG.into()),
                (
                    ".gitignore".into(),
                    "node_modules/\ncdk.out/\n*.js\n*.d.ts\n".into(),
                ),
                (
                    "bin/app.ts".into(),
                    format!(
                        "#!/usr/bin/env node\n\
                         // The app entry: the stack converted from the pattern's SAM template (lib/stack.ts), and each\n\
                         // function's code as the CDK asset of the zip `cargo xtask build` made of its crate.\n\
                         import * as cdk from 'aws-cdk-lib';\n\
                         import * as lambda from 'aws-cdk-lib/aws-lambda';\n\
                         import * as s3assets from 'aws-cdk-lib/aws-s3-assets';\n\
                         import {{ {class} }} from '../lib/stack';\n\n\
                         const app = new cdk.App();\n\
                         const stack = new {class}(app, {id});\n\n\
                         // Function logical id -> its zip, relative to this app's folder.\n\
                         const code: Record<string, string> = {{\n{code}\n}};\n\
                         for (const [id, zip] of Object.entries(code)) {{\n  \
                           const fn = stack.node.findChild(id) as lambda.CfnFunction;\n  \
                           const asset = new s3assets.Asset(stack, `${{id}}Code`, {{ path: zip }});\n  \
                           fn.code = {{ s3Bucket: asset.s3BucketName, s3Key: asset.s3ObjectKey }};\n\
                         }}\n"
                    ),
                ),
            ]
        }
        CdkLang::Python => {
            let code = pairs(": ", "    ", ",").join("\n");
            vec![
                (
                    "requirements.txt".into(),
                    format!("aws-cdk-lib=={CDK_LIB}\nconstructs=={CONSTRUCTS}\n"),
                ),
                (
                    ".gitignore".into(),
                    ".venv/\ncdk.out/\n__pycache__/\n".into(),
                ),
                (
                    "app.py".into(),
                    format!(
                        "#!/usr/bin/env python3\n\
                         \"\"\"The app entry: the stack converted from the pattern's SAM template (stack.py), and each\n\
                         function's code as the CDK asset of the zip `cargo xtask build` made of its crate.\"\"\"\n\n\
                         import aws_cdk as cdk\n\
                         from aws_cdk import aws_lambda as lambda_\n\
                         from aws_cdk import aws_s3_assets as s3_assets\n\n\
                         from stack import {class}\n\n\
                         app = cdk.App()\n\
                         stack = {class}(app, {id})\n\n\
                         # Function logical id -> its zip, relative to this app's folder.\n\
                         CODE = {{\n{code}\n}}\n\
                         for logical_id, zip_path in CODE.items():\n    \
                             function = stack.node.find_child(logical_id)\n    \
                             asset = s3_assets.Asset(stack, f\"{{logical_id}}Code\", path=zip_path)\n    \
                             function.code = lambda_.CfnFunction.CodeProperty(\n        \
                                 s3_bucket=asset.s3_bucket_name, s3_key=asset.s3_object_key\n    \
                             )\n\n\
                         app.synth()\n"
                    ),
                ),
            ]
        }
        CdkLang::Java => {
            let code = pairs(", ", "        code.put(", ");").join("\n");
            vec![
                ("pom.xml".into(), pom()),
                (".gitignore".into(), "target/\ncdk.out/\n".into()),
                (
                    "src/main/java/com/myorg/CdkApp.java".into(),
                    format!(
                        "package com.myorg;\n\n\
                         import java.util.LinkedHashMap;\n\
                         import java.util.Map;\n\
                         import software.amazon.awscdk.App;\n\
                         import software.amazon.awscdk.StackProps;\n\
                         import software.amazon.awscdk.services.lambda.CfnFunction;\n\
                         import software.amazon.awscdk.services.s3.assets.Asset;\n\n\
                         /** The app entry: the stack converted from the pattern's SAM template, and each function's code as\n \
                          * the CDK asset of the zip `cargo xtask build` made of its crate. */\n\
                         public final class CdkApp {{\n    \
                             public static void main(final String[] args) {{\n        \
                                 App app = new App();\n        \
                                 {class} stack = new {class}(app, {id}, StackProps.builder().build());\n        \
                                 // Function logical id -> its zip, relative to this app's folder.\n        \
                                 Map<String, String> code = new LinkedHashMap<>();\n{code}\n        \
                                 code.forEach((id, zip) -> {{\n            \
                                     CfnFunction function = (CfnFunction) stack.getNode().findChild(id);\n            \
                                     Asset asset = Asset.Builder.create(stack, id + \"Code\").path(zip).build();\n            \
                                     function.setCode(CfnFunction.CodeProperty.builder()\n                \
                                         .s3Bucket(asset.getS3BucketName()).s3Key(asset.getS3ObjectKey()).build());\n        \
                                 }});\n        \
                                 app.synth();\n    \
                             }}\n\
                         }}\n"
                    ),
                ),
            ]
        }
        CdkLang::Go => {
            let code = pairs(": ", "\t\t", ",").join("\n");
            vec![
                (
                    "go.mod".into(),
                    format!(
                        "module srp-cdk-app\n\ngo 1.22\n\nrequire (\n\
                         \tgithub.com/aws/aws-cdk-go/awscdk/v2 v{CDK_LIB}\n\
                         \tgithub.com/aws/constructs-go/constructs/v10 v{CONSTRUCTS}\n\
                         \tgithub.com/aws/jsii-runtime-go v1.143.0\n)\n"
                    ),
                ),
                (".gitignore".into(), "cdk.out/\n".into()),
                (
                    "app.go".into(),
                    format!(
                        "// The app entry: the stack converted from the pattern's SAM template (stack.go), and each\n\
                         // function's code as the CDK asset of the zip `cargo xtask build` made of its crate.\n\
                         package main\n\n\
                         import (\n\
                         \t\"github.com/aws/aws-cdk-go/awscdk/v2\"\n\
                         \t\"github.com/aws/aws-cdk-go/awscdk/v2/awslambda\"\n\
                         \t\"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets\"\n\
                         \t\"github.com/aws/jsii-runtime-go\"\n\
                         )\n\n\
                         func main() {{\n\
                         \tdefer jsii.Close()\n\
                         \tapp := awscdk.NewApp(nil)\n\
                         \tstack := New{class}(app, {id}, &{class}Props{{}})\n\
                         \t// Function logical id -> its zip, relative to this app's folder.\n\
                         \tcode := map[string]string{{\n{code}\n\t}}\n\
                         \tfor id, zip := range code {{\n\
                         \t\tfunction := stack.Node().FindChild(jsii.String(id)).(awslambda.CfnFunction)\n\
                         \t\tasset := awss3assets.NewAsset(stack.Stack, jsii.String(id+\"Code\"), &awss3assets.AssetProps{{Path: jsii.String(zip)}})\n\
                         \t\tfunction.SetCode(&awslambda.CfnFunction_CodeProperty{{S3Bucket: asset.S3BucketName(), S3Key: asset.S3ObjectKey()}})\n\
                         \t}}\n\
                         \tapp.Synth(nil)\n\
                         }}\n"
                    ),
                ),
            ]
        }
        CdkLang::Csharp => {
            let code = pairs("] = ", "                [", ",").join("\n");
            vec![
                (
                    "src/App.csproj".into(),
                    format!(
                        "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <OutputType>Exe</OutputType>\n    \
                         <TargetFramework>net8.0</TargetFramework>\n    <RollForward>Major</RollForward>\n    \
                         <Nullable>disable</Nullable>\n  </PropertyGroup>\n  <ItemGroup>\n    \
                         <PackageReference Include=\"Amazon.CDK.Lib\" Version=\"{CDK_LIB}\" />\n    \
                         <PackageReference Include=\"Constructs\" Version=\"[10.0.0,11.0.0)\" />\n  </ItemGroup>\n\
                         </Project>\n"
                    ),
                ),
                (".gitignore".into(), "bin/\nobj/\ncdk.out/\n".into()),
                (
                    "src/Program.cs".into(),
                    format!(
                        "// The app entry: the stack converted from the pattern's SAM template (Stack.cs), and each\n\
                         // function's code as the CDK asset of the zip `cargo xtask build` made of its crate.\n\
                         using System.Collections.Generic;\n\
                         using Amazon.CDK;\n\
                         using Amazon.CDK.AWS.Lambda;\n\
                         using Amazon.CDK.AWS.S3.Assets;\n\n\
                         sealed class Program\n{{\n    \
                             public static void Main(string[] args)\n    {{\n        \
                                 var app = new App();\n        \
                                 var stack = new {class}.{class}(app, {id});\n        \
                                 // Function logical id -> its zip, relative to this app's folder.\n        \
                                 var code = new Dictionary<string, string>\n        {{\n{code}\n        }};\n        \
                                 foreach (var (id, zip) in code)\n        {{\n            \
                                     var function = (CfnFunction)stack.Node.FindChild(id);\n            \
                                     var asset = new Asset(stack, id + \"Code\", new AssetProps {{ Path = zip }});\n            \
                                     function.Code = new CfnFunction.CodeProperty {{ S3Bucket = asset.S3BucketName, S3Key = asset.S3ObjectKey }};\n        \
                                 }}\n        \
                                 app.Synth();\n    \
                             }}\n\
                         }}\n"
                    ),
                ),
            ]
        }
    }
}

fn pom() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <project xmlns=\"http://maven.apache.org/POM/4.0.0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n         \
         xsi:schemaLocation=\"http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd\">\n  \
         <modelVersion>4.0.0</modelVersion>\n  <groupId>com.myorg</groupId>\n  <artifactId>srp-cdk-app</artifactId>\n  \
         <version>0.1.0</version>\n  <properties>\n    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>\n    \
         <maven.compiler.release>17</maven.compiler.release>\n  </properties>\n  <build>\n    <plugins>\n      \
         <plugin>\n        <groupId>org.apache.maven.plugins</groupId>\n        <artifactId>maven-compiler-plugin</artifactId>\n        \
         <version>3.13.0</version>\n      </plugin>\n      <plugin>\n        <groupId>org.codehaus.mojo</groupId>\n        \
         <artifactId>exec-maven-plugin</artifactId>\n        <version>3.5.0</version>\n        \
         <configuration>\n          <mainClass>com.myorg.CdkApp</mainClass>\n        </configuration>\n      </plugin>\n    \
         </plugins>\n  </build>\n  <dependencies>\n    <dependency>\n      <groupId>software.amazon.awscdk</groupId>\n      \
         <artifactId>aws-cdk-lib</artifactId>\n      <version>{CDK_LIB}</version>\n    </dependency>\n    <dependency>\n      \
         <groupId>software.constructs</groupId>\n      <artifactId>constructs</artifactId>\n      <version>{CONSTRUCTS}</version>\n    \
         </dependency>\n  </dependencies>\n</project>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The TypeScript manifest (and so its lock and the project's toolchain) pins the versions the other languages'
    /// manifests and the README name.
    #[test]
    fn the_typescript_manifest_pins_the_same_versions() {
        let manifest: serde_json::Value = serde_json::from_str(PACKAGE_JSON).unwrap();
        assert_eq!(manifest["dependencies"]["aws-cdk-lib"], CDK_LIB);
        assert_eq!(manifest["dependencies"]["constructs"], CONSTRUCTS);
        assert_eq!(manifest["devDependencies"]["aws-cdk"], CDK_CLI);
        let lock: serde_json::Value = serde_json::from_str(PACKAGE_LOCK).unwrap();
        for (package, version) in [
            ("aws-cdk-lib", CDK_LIB),
            ("constructs", CONSTRUCTS),
            ("aws-cdk", CDK_CLI),
        ] {
            assert_eq!(
                lock["packages"][format!("node_modules/{package}")]["version"],
                version,
                "package-lock.json is out of date: run `npm install --package-lock-only` in xtask/src/cdk/typescript"
            );
        }
    }

    #[test]
    fn every_entry_sets_the_code_of_each_function_from_its_zip() {
        let code = [(
            "ItemsFunction".to_owned(),
            "../target/lambda/items-api/bootstrap.zip".to_owned(),
        )];
        let entry = Entry {
            class: "ItemsStack",
            stack_id: "items",
            code: &code,
        };
        for lang in [
            CdkLang::Typescript,
            CdkLang::Python,
            CdkLang::Java,
            CdkLang::Go,
            CdkLang::Csharp,
        ] {
            let all: String = files(lang, &entry)
                .into_iter()
                .map(|(_, text)| text)
                .collect();
            for needle in [
                "\"ItemsFunction\"",
                "\"../target/lambda/items-api/bootstrap.zip\"",
                "\"items\"",
                "ItemsStack",
            ] {
                assert!(all.contains(needle), "{lang:?} lacks {needle}:\n{all}");
            }
            assert!(
                all.contains(CDK_LIB) || lang == CdkLang::Typescript,
                "{lang:?}"
            );
        }
    }
}
