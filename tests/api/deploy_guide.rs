//! The deployment drill (`tests/deploy/drill.sh`, run by `.ci/run`) follows `docs/DEPLOY.md`:
//! every command it runs as the guide's is printed in the guide, and every command the guide
//! prints for an install (all but the move from SQLite) is run by the drill.

fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The commands the drill runs through `guide '…'` (single-quoted, may span lines).
fn drill_commands() -> Vec<String> {
    let drill = std::fs::read_to_string("tests/deploy/drill.sh").unwrap();
    let mut out = Vec::new();
    let mut rest = drill.as_str();
    while let Some(at) = rest.find("\nguide '") {
        let after = &rest[at + "\nguide '".len()..];
        let end = after.find('\'').expect("a guide command closes its quote");
        out.push(after[..end].to_string());
        rest = &after[end..];
    }
    out
}

/// The guide's `sh` blocks with the section each is in, joined across `\` line ends.
fn guide_blocks() -> Vec<(String, Vec<String>)> {
    let guide = std::fs::read_to_string("docs/DEPLOY.md").unwrap();
    let (mut section, mut inside, mut blocks) = (String::new(), false, Vec::new());
    let mut lines: Vec<String> = Vec::new();
    for line in guide.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            section = h.to_string();
        } else if line == "```sh" {
            inside = true;
            lines.clear();
        } else if inside && line == "```" {
            inside = false;
            let joined = lines.join("\n").replace("\\\n", " ");
            let commands = joined
                .lines()
                .map(|l| l.split(" # ").next().unwrap().trim().to_string())
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect();
            blocks.push((section.clone(), commands));
        } else if inside {
            lines.push(line.to_string());
        }
    }
    blocks
}

#[test]
fn every_command_of_the_drill_is_printed_in_the_deployment_guide() {
    let guide = normalise(&std::fs::read_to_string("docs/DEPLOY.md").unwrap());
    let commands = drill_commands();
    assert!(commands.len() >= 15, "{commands:?}");
    for c in &commands {
        assert!(
            guide.contains(&normalise(c)),
            "the drill runs a command the guide does not print: {c}"
        );
    }
}

#[test]
fn every_install_command_of_the_deployment_guide_is_run_by_the_drill() {
    let run: Vec<String> = drill_commands()
        .iter()
        .map(|c| normalise(&c.replace("\\\n", " ")))
        .map(|c| c.split(" # ").next().unwrap().trim().to_string())
        .collect();
    let blocks = guide_blocks();
    assert!(blocks.len() >= 7, "{blocks:?}");
    let mut checked = 0;
    for (section, commands) in blocks {
        // Section 3 is a settings file (the drill writes it from the block), section 9 moves an
        // SQLite install to PostgreSQL (the transfer tests run that).
        if section.starts_with("3.") || section.starts_with("9.") {
            continue;
        }
        for c in commands {
            checked += 1;
            assert!(
                run.contains(&normalise(&c)),
                "section {section}: the drill does not run `{c}`"
            );
        }
    }
    assert!(checked >= 12, "{checked}");
}
