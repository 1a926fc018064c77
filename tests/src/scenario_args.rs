//! The end-to-end runner's command line: libtest's, with any number of name filters (as
//! libtest takes them, where libtest-mimic takes one) and `--shuffle` / `--shuffle-seed N`
//! (libtest has them only as unstable flags).

/// What the runner takes for itself; `rest` goes on to libtest-mimic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioArgs {
    /// A scenario runs if its name contains any of these (equals one, with `--exact`); none
    /// given, all run.
    pub filters: Vec<String>,
    /// Set: run in the order this seed shuffles to.
    pub shuffle_seed: Option<u64>,
    pub rest: Vec<String>,
}

/// libtest's flags that take a value, so that value is not read as a filter.
const WITH_VALUE: [&str; 6] = [
    "--skip",
    "--test-threads",
    "--logfile",
    "--color",
    "--format",
    "-Z",
];

impl ScenarioArgs {
    /// `args` as the program got them (its name first); `env_seed` is
    /// `RINGPROOF_SHUFFLE_SEED`. `--shuffle` without a seed draws one.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env_seed: Option<&str>,
    ) -> Result<Self, String> {
        let number = |s: &str| {
            s.parse::<u64>()
                .map_err(|_| format!("a shuffle seed is a whole number, not {s:?}"))
        };
        let mut shuffle_seed = match env_seed {
            Some(s) if !s.is_empty() => Some(number(s)?),
            _ => None,
        };
        let mut filters = Vec::new();
        let mut args = args.into_iter();
        let mut rest: Vec<String> = args.next().into_iter().collect();
        while let Some(a) = args.next() {
            if a == "--shuffle" {
                shuffle_seed = shuffle_seed.or_else(|| Some(fastrand::u64(..)));
            } else if a == "--shuffle-seed" {
                shuffle_seed = Some(number(&args.next().unwrap_or_default())?);
            } else if let Some(s) = a.strip_prefix("--shuffle-seed=") {
                shuffle_seed = Some(number(s)?);
            } else if WITH_VALUE.contains(&a.as_str()) {
                rest.push(a);
                rest.extend(args.next());
            } else if a.starts_with('-') {
                rest.push(a);
            } else {
                filters.push(a);
            }
        }
        Ok(ScenarioArgs {
            filters,
            shuffle_seed,
            rest,
        })
    }

    /// Whether the scenario `name` is one the filters ask for.
    pub fn picks(&self, name: &str, exact: bool) -> bool {
        self.filters.is_empty()
            || self.filters.iter().any(|f| {
                if exact {
                    name == f
                } else {
                    name.contains(f.as_str())
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: Option<&str>) -> Result<ScenarioArgs, String> {
        ScenarioArgs::parse(
            std::iter::once("e2e")
                .chain(args.iter().copied())
                .map(String::from),
            env,
        )
    }

    #[test]
    fn filters_are_the_words_that_are_not_flags_or_their_values() {
        let a = parse(
            &[
                "sms",
                "--skip",
                "voice",
                "--exact",
                "flash",
                "--test-threads",
                "2",
            ],
            None,
        )
        .unwrap();
        assert_eq!(a.filters, ["sms", "flash"]);
        assert_eq!(
            a.rest,
            ["e2e", "--skip", "voice", "--exact", "--test-threads", "2"]
        );
        assert_eq!(a.shuffle_seed, None);
    }

    #[test]
    fn a_seed_comes_from_either_flag_or_the_environment() {
        assert_eq!(
            parse(&["--shuffle-seed", "7"], None).unwrap().shuffle_seed,
            Some(7)
        );
        assert_eq!(
            parse(&["--shuffle-seed=8"], None).unwrap().shuffle_seed,
            Some(8)
        );
        assert_eq!(parse(&[], Some("9")).unwrap().shuffle_seed, Some(9));
        // A given seed wins over a drawn one, so a printed seed reruns the same order.
        assert_eq!(
            parse(&["--shuffle"], Some("9")).unwrap().shuffle_seed,
            Some(9)
        );
        assert!(parse(&["--shuffle"], None).unwrap().shuffle_seed.is_some());
        assert!(parse(&["--shuffle-seed", "x"], None).is_err());
        assert!(parse(&[], Some("-1")).is_err());
        let a = parse(&["--shuffle", "--list"], None).unwrap();
        assert_eq!(a.rest, ["e2e", "--list"]);
    }

    #[test]
    fn filters_pick_by_substring_or_exactly() {
        let a = parse(&["sms", "flash_call_in_the_browser"], None).unwrap();
        assert!(a.picks("sms_in_the_browser", false));
        assert!(a.picks("flash_call_in_the_browser", true));
        assert!(!a.picks("sms_in_the_browser", true));
        assert!(!a.picks("voice_call_in_the_browser", false));
        assert!(parse(&[], None).unwrap().picks("anything", true));
    }
}
