//! Broken pattern files, in scratch copies of the fixture pattern (`XTASK_PATTERNS_DIR`): a `pattern.toml` that
//! does not parse or misspells a field, an `example-pattern.json` that is not JSON or lacks a field, and
//! `[[verify]]` checks with a misspelt field or an unknown placeholder. A deploy refuses each with a message naming
//! the file, the place and the fix, exits 1, creates no work directory and leaves no process; another pattern
//! beside the broken one still deploys, verifies and destroys; once fixed, the next deploy succeeds first time,
//! and a `[[verify]]` broken after it is named by `verify` with its fix.

use crate::support::{
    Patterns, Session, check, left_in_cloud, no_process_left, run_cases, text, work_root,
};

/// The copy that gets broken, and one beside it that stays sound.
const BROKEN: &str = "faults-broken";
const SOUND: &str = "faults-sound";

struct Corrupt {
    session: Session,
    patterns: Patterns,
}

/// Breaks `file` of [`BROKEN`] (from a fresh copy): `from` becomes `to`; then a deploy must fail with exit 1 and a
/// message holding every one of `says`, creating no work directory and leaving no process.
fn refused(c: &Corrupt, file: &str, (from, to): (&str, &str), says: &[&str]) -> Result<(), String> {
    c.patterns.restore(BROKEN);
    c.patterns.corrupt(BROKEN, file, from, to);
    let out = c.patterns.xtask(&["deploy", BROKEN]);
    let said = text(&out);
    let missing: Vec<&&str> = says.iter().filter(|s| !said.contains(**s)).collect();
    check(
        out.status.code() == Some(1) && missing.is_empty(),
        format!(
            "exit {:?} (want 1); missing {missing:?} in:\n{said}",
            out.status.code()
        ),
    )?;
    check(
        !work_root(BROKEN).exists(),
        format!("a refused deploy created {}", work_root(BROKEN).display()),
    )?;
    no_process_left(&c.patterns.dir.to_string_lossy())?;
    no_process_left(&work_root(BROKEN).to_string_lossy())
}

fn pattern_toml_with_an_array_left_open(c: &Corrupt) -> Result<(), String> {
    refused(
        c,
        "pattern.toml",
        ("iac = [\"sam\"]", "iac = [\"sam\""),
        &[
            &format!("error: pattern `{BROKEN}` does not load: "),
            &format!("{BROKEN}/pattern.toml:5: field `iac` (its value starts on line 3): "),
            "fix: correct it (CONTRIBUTING.md, section `pattern.toml`, lists every field)",
        ],
    )
}

fn pattern_toml_with_a_misspelt_field(c: &Corrupt) -> Result<(), String> {
    refused(
        c,
        "pattern.toml",
        ("iac =", "iacs ="),
        &[
            &format!(
                "{BROKEN}/pattern.toml:3: field `iacs`: unknown field `iacs`, expected one of `iac`"
            ),
            "fix: correct it",
        ],
    )
}

fn example_pattern_json_that_is_not_json(c: &Corrupt) -> Result<(), String> {
    refused(
        c,
        "example-pattern.json",
        ("\"language\": \"Rust\",", "\"language\": \"Rust\""),
        &[
            "error[metadata-json]: ",
            &format!("{BROKEN}/example-pattern.json:5: "),
            "not valid JSON",
            "fix: fix the JSON syntax at that place",
            &format!("error: `{BROKEN}` does not validate: nothing was deployed"),
        ],
    )
}

fn example_pattern_json_without_a_field(c: &Corrupt) -> Result<(), String> {
    refused(
        c,
        "example-pattern.json",
        ("\"language\": \"Rust\",", ""),
        &[
            "error[metadata-schema]: ",
            &format!(
                "{BROKEN}/example-pattern.json: /language: \"language\" is a required property"
            ),
            "fix: add the field `/language`",
            &format!("error: `{BROKEN}` does not validate: nothing was deployed"),
        ],
    )
}

fn verify_check_with_a_misspelt_field(c: &Corrupt) -> Result<(), String> {
    refused(
        c,
        "pattern.toml",
        ("\ndynamodb =", "\ndynamo ="),
        &[
            "error[verify-check]: ",
            &format!(
                "{BROKEN}/pattern.toml:5: verify[0] (a fresh table holds no item): unknown field `dynamo`"
            ),
            "fix: use only the fields a check has",
            &format!("error: `{BROKEN}` does not validate: nothing was deployed"),
        ],
    )
}

fn verify_check_with_an_unknown_placeholder(c: &Corrupt) -> Result<(), String> {
    refused(
        c,
        "pattern.toml",
        ("{TableName}", "{TabelName}"),
        &[
            "error[verify-placeholder]: ",
            "`{TabelName}` is not an output declared by template.yaml (sam; its outputs: TableName)",
            "fix: correct the name",
            &format!("error: `{BROKEN}` does not validate: nothing was deployed"),
        ],
    )
}

/// With [`BROKEN`]'s `pattern.toml` not loading, `list` still lists the others, and [`SOUND`] deploys, verifies
/// and destroys, leaving nothing.
fn another_pattern_still_works(c: &Corrupt) -> Result<(), String> {
    c.patterns.restore(BROKEN);
    c.patterns
        .corrupt(BROKEN, "pattern.toml", "iac =", "iacs =");
    let listed = c.patterns.xtask(&["list"]);
    let said = text(&listed);
    check(
        listed.status.success() && said.contains(SOUND) && said.contains("unknown field `iacs`"),
        format!("`list` beside a broken pattern:\n{said}"),
    )?;
    for command in ["deploy", "verify", "destroy"] {
        let out = c.patterns.xtask(&[command, SOUND]);
        check(
            out.status.success(),
            format!(
                "`{command} {SOUND}` beside a broken pattern:\n{}",
                text(&out)
            ),
        )?;
    }
    let left = left_in_cloud(&c.session.edge, SOUND);
    check(left.is_empty(), format!("left after destroy: {left:#?}"))
}

/// Fixed, [`BROKEN`] deploys first time; a `[[verify]]` broken after the deploy is named by `verify` (file, line,
/// field, fix) with exit 1; `destroy` leaves nothing.
fn once_fixed_it_deploys_and_verify_names_a_later_break(c: &Corrupt) -> Result<(), String> {
    c.patterns.restore(BROKEN);
    let deployed = c.patterns.xtask(&["deploy", BROKEN]);
    check(
        deployed.status.success(),
        format!(
            "the deploy of the fixed pattern failed:\n{}",
            text(&deployed)
        ),
    )?;
    let breaks: [(&str, &str, &[&str]); 2] = [
        (
            "\ndynamodb =",
            "\ndynamo =",
            &[
                "pattern.toml:5: `verify[0]`: unknown field `dynamo`",
                "fix: use only the fields a check has",
            ],
        ),
        (
            "{TableName}",
            "{TabelName}",
            &[
                "`{TabelName}` is not an output of the deployment nor a captured value; known: TableName",
                "fix: use one of those",
            ],
        ),
    ];
    let mut result = Ok(());
    for (from, to, says) in breaks {
        c.patterns.restore(BROKEN);
        c.patterns.corrupt(BROKEN, "pattern.toml", from, to);
        let out = c.patterns.xtask(&["verify", BROKEN]);
        let said = text(&out);
        if out.status.code() != Some(1) || !says.iter().all(|s| said.contains(s)) {
            result = Err(format!(
                "verify with `{to}`: exit {:?}:\n{said}",
                out.status.code()
            ));
            break;
        }
    }
    c.patterns.restore(BROKEN);
    let destroyed = c.patterns.xtask(&["destroy", BROKEN]);
    result?;
    check(
        destroyed.status.success(),
        format!("destroy:\n{}", text(&destroyed)),
    )?;
    let left = left_in_cloud(&c.session.edge, BROKEN);
    check(left.is_empty(), format!("left after destroy: {left:#?}"))
}

#[test]
fn broken_pattern_files_are_refused_with_the_fix() {
    let corrupt = Corrupt {
        session: Session::start(),
        patterns: Patterns::new(&[BROKEN, SOUND]),
    };
    run_cases(
        &corrupt,
        &[
            (
                "pattern.toml with an array left open",
                pattern_toml_with_an_array_left_open,
            ),
            (
                "pattern.toml with a misspelt field",
                pattern_toml_with_a_misspelt_field,
            ),
            (
                "example-pattern.json that is not JSON",
                example_pattern_json_that_is_not_json,
            ),
            (
                "example-pattern.json without a field",
                example_pattern_json_without_a_field,
            ),
            (
                "[[verify]] with a misspelt field",
                verify_check_with_a_misspelt_field,
            ),
            (
                "[[verify]] with an unknown placeholder",
                verify_check_with_an_unknown_placeholder,
            ),
            (
                "another pattern still works beside a broken one",
                another_pattern_still_works,
            ),
            (
                "once fixed, the next deploy succeeds; verify names a later break",
                once_fixed_it_deploys_and_verify_names_a_later_break,
            ),
        ],
        &|c| {
            c.patterns.restore(BROKEN);
            let _ = c.patterns.xtask(&["destroy", BROKEN]);
            let _ = c.patterns.xtask(&["destroy", SOUND]);
        },
    );
}
