//! Scenario files: a price path, the faults laid over it, and the account
//! population, in a line format meant to be written by hand.
//!
//! ```text
//! # comment
//! name    flash-crash            # one word
//! seed    7
//! accounts 300                   # margin accounts in the population
//! step    15                     # seconds between keeper rounds
//! duration 7200                  # seconds (required; for `path replay`, 0 or absent = all)
//! price   30000                  # starting price, USD
//! onset   1800                   # when the trouble starts (time-to-halt is measured from here)
//! openings start                 # accounts open at the start, or 'spread' over the path
//! large_usd 25000                # liquidations from this size need 2 of 3 validators (Rampart)
//! depositors 20                  # 1-BTC depositors of an hourly covered-call vault (0: none)
//! path    flash_crash at=1800 depth=0.30 fall=600 recover=1800
//! fault   spike source=0 at=3000 bps=-2500
//! ```
//!
//! Paths: `flat`; `gbm vol= drift= jumps_per_day= jump=`; `flash_crash at=
//! depth= fall= recover= [rebound=0.9]` (share of the drop recovered);
//! `bleed depth=` (linear over the duration); `staircase at= drop= every=
//! steps=` (a drop of `drop` of the price at once, every `every` seconds);
//! `regime at= vol_before= vol_after=`; `replay files=a.csv,b.csv,c.csv
//! [reference=r.csv]`: price histories the user brings, one file per
//! source (three) and the reference the metrics measure against (default:
//! the first source), in any format [`crate::price_files`] reads; paths are
//! relative to the scenario file; `duration` is then the replayed span
//! (default all) and the step the data's smallest spacing unless the file
//! sets `step`. A gap in a file is that source saying nothing: stale.
//! `scenarios/q1-2023-replay.scn` is the built-in one (three real Kraken
//! BTC sources over Q1 2023).
//!
//! Faults (times in seconds from the start): `spike source= at= bps=` (one
//! step), `freeze source= from= to=` (stale), `collude sources=a,b from= to=
//! bps=`, `conf source= from= to= bps=` (confidence blow-out), `congestion
//! from= to= slot_ms= drop=` (slots stretched; refresh and liquidation
//! transactions dropped with that probability), `keeper_offline from= to=`,
//! `agent_offline from= to=` and `agent_compromised from= to=` (the risk
//! agent absent, or its stolen key moving the base up one leash step
//! every interval; policies with an agent only), `validators_collude
//! count=` (that many of the three liquidation
//! validators never approve a large liquidation).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use crate::price_files::SourceFiles;

#[derive(Debug, Clone, PartialEq)]
pub enum Path {
    Flat,
    Gbm {
        vol: f64,
        drift: f64,
        jumps_per_day: f64,
        jump: f64,
    },
    FlashCrash {
        at: i64,
        depth: f64,
        fall: i64,
        recover: i64,
        rebound: f64,
    },
    Bleed {
        depth: f64,
    },
    /// Drops of `drop` (a share of the current price) every `every`
    /// seconds from `at`, `steps` times, each one at once.
    Staircase {
        at: i64,
        drop: f64,
        every: i64,
        steps: i64,
    },
    Regime {
        at: i64,
        vol_before: f64,
        vol_after: f64,
    },
    /// Histories read from files, one per source, and the reference.
    Replay(SourceFiles),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    Spike {
        source: usize,
        at: i64,
        bps: f64,
    },
    Freeze {
        source: usize,
        from: i64,
        to: i64,
    },
    Collude {
        sources: Vec<usize>,
        from: i64,
        to: i64,
        bps: f64,
    },
    Conf {
        source: usize,
        from: i64,
        to: i64,
        bps: f64,
    },
    Congestion {
        from: i64,
        to: i64,
        slot_ms: i64,
        drop: f64,
    },
    KeeperOffline {
        from: i64,
        to: i64,
    },
    /// This many of the three liquidation validators never approve.
    ValidatorsCollude {
        count: usize,
    },
    /// The risk agent does nothing in this window (policies with an agent).
    AgentOffline {
        from: i64,
        to: i64,
    },
    /// The agent's key is stolen in this window: every interval it moves
    /// the base one leash step up, toward the band's top (liquidating
    /// accounts that are still solvent sooner), as fast as the leash allows.
    AgentCompromised {
        from: i64,
        to: i64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub seed: u64,
    pub accounts: usize,
    pub step: i64,
    /// The file set `step` (a replay otherwise follows its data's spacing).
    pub step_set: bool,
    pub duration: i64,
    pub price: f64,
    pub onset: i64,
    /// Accounts open at random steps instead of all at the start.
    pub spread_openings: bool,
    /// Liquidations repaying at least this (USD) need 2 of 3 validators
    /// under Rampart's policies.
    pub large_usd: u64,
    /// Depositors (1 BTC each) of an hourly covered-call vault; 0 for none.
    pub depositors: usize,
    pub path: Path,
    pub faults: Vec<Fault>,
}

/// A malformed scenario: the line and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// `key=value` arguments of one line.
struct Args {
    line: usize,
    values: BTreeMap<String, String>,
}

impl Args {
    fn parse(line: usize, words: &[&str]) -> Result<Args, ParseError> {
        let mut values = BTreeMap::new();
        for w in words {
            let (k, v) = w.split_once('=').ok_or_else(|| ParseError {
                line,
                message: format!("expected key=value, found '{w}'"),
            })?;
            values.insert(k.to_string(), v.to_string());
        }
        Ok(Args { line, values })
    }

    fn get<T: std::str::FromStr>(&self, key: &str) -> Result<T, ParseError> {
        let raw = self.values.get(key).ok_or_else(|| ParseError {
            line: self.line,
            message: format!("missing {key}="),
        })?;
        raw.parse().map_err(|_| ParseError {
            line: self.line,
            message: format!("{key}={raw} is not a valid number"),
        })
    }

    fn list(&self, key: &str) -> Result<Vec<usize>, ParseError> {
        let raw: String = self.get(key)?;
        raw.split(',')
            .map(|s| {
                s.parse().map_err(|_| ParseError {
                    line: self.line,
                    message: format!("{key}={raw} is not a list of source numbers"),
                })
            })
            .collect()
    }
}

fn number<T: std::str::FromStr>(line: usize, key: &str, words: &[&str]) -> Result<T, ParseError> {
    match words {
        [one] => one.parse().map_err(|_| ParseError {
            line,
            message: format!("{key} {one}: not a valid number"),
        }),
        _ => Err(ParseError {
            line,
            message: format!("{key} takes one value"),
        }),
    }
}

impl Scenario {
    pub fn parse(text: &str) -> Result<Scenario, ParseError> {
        let mut s = Scenario {
            name: "unnamed".into(),
            seed: 1,
            accounts: 100,
            step: 15,
            step_set: false,
            duration: 0,
            price: 30_000.0,
            onset: 0,
            spread_openings: false,
            large_usd: 25_000,
            depositors: 0,
            path: Path::Flat,
            faults: vec![],
        };
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split('#').next().unwrap_or("").trim();
            let words: Vec<&str> = content.split_whitespace().collect();
            let Some((key, rest)) = words.split_first() else {
                continue;
            };
            match *key {
                "name" => s.name = rest.join(" "),
                "seed" => s.seed = number(line, key, rest)?,
                "accounts" => s.accounts = number(line, key, rest)?,
                "step" => {
                    s.step = number(line, key, rest)?;
                    s.step_set = true;
                }
                "duration" => s.duration = number(line, key, rest)?,
                "price" => s.price = number(line, key, rest)?,
                "onset" => s.onset = number(line, key, rest)?,
                "large_usd" => s.large_usd = number(line, key, rest)?,
                "depositors" => s.depositors = number(line, key, rest)?,
                "openings" => {
                    s.spread_openings = match rest {
                        ["start"] => false,
                        ["spread"] => true,
                        _ => {
                            return Err(ParseError {
                                line,
                                message: "openings is 'start' or 'spread'".into(),
                            })
                        }
                    }
                }
                "path" => s.path = parse_path(line, rest)?,
                "fault" => s.faults.push(parse_fault(line, rest)?),
                other => {
                    return Err(ParseError {
                        line,
                        message: format!("unknown key '{other}'"),
                    })
                }
            }
            let bad = |message: &str| ParseError {
                line,
                message: message.into(),
            };
            if s.step <= 0 || s.duration < 0 || s.price <= 0.0 {
                return Err(bad(
                    "step and price must be positive, duration not negative",
                ));
            }
            if s.accounts == 0 || s.accounts > 100_000 {
                return Err(bad("accounts must be 1..=100000"));
            }
        }
        Ok(s)
    }
}

fn parse_path(line: usize, words: &[&str]) -> Result<Path, ParseError> {
    let Some((kind, rest)) = words.split_first() else {
        return Err(ParseError {
            line,
            message: "path needs a kind".into(),
        });
    };
    let a = Args::parse(line, rest)?;
    if *kind == "replay" {
        let files: String = a.get("files")?;
        let sources: Vec<PathBuf> = files
            .split(',')
            .filter(|f| !f.is_empty())
            .map(PathBuf::from)
            .collect();
        if sources.len() != crate::stress::feeds::SOURCES {
            return Err(ParseError {
                line,
                message: format!(
                    "replay files= takes {} files, one per source, not {} (name one file twice to give two sources the same history)",
                    crate::stress::feeds::SOURCES,
                    sources.len()
                ),
            });
        }
        if let Some(unknown) = a.values.keys().find(|k| *k != "files" && *k != "reference") {
            return Err(ParseError {
                line,
                message: format!("replay takes files= and reference=, not {unknown}="),
            });
        }
        return Ok(Path::Replay(SourceFiles {
            sources,
            reference: a.values.get("reference").map(PathBuf::from),
        }));
    }
    Ok(match *kind {
        "flat" => Path::Flat,
        "gbm" => Path::Gbm {
            vol: a.get("vol")?,
            drift: a.get("drift")?,
            jumps_per_day: a.get("jumps_per_day")?,
            jump: a.get("jump")?,
        },
        "flash_crash" => Path::FlashCrash {
            at: a.get("at")?,
            depth: a.get("depth")?,
            fall: a.get("fall")?,
            recover: a.get("recover")?,
            rebound: if a.values.contains_key("rebound") {
                a.get("rebound")?
            } else {
                0.9
            },
        },
        "bleed" => Path::Bleed {
            depth: a.get("depth")?,
        },
        "staircase" => Path::Staircase {
            at: a.get("at")?,
            drop: a.get("drop")?,
            every: a.get("every")?,
            steps: a.get("steps")?,
        },
        "regime" => Path::Regime {
            at: a.get("at")?,
            vol_before: a.get("vol_before")?,
            vol_after: a.get("vol_after")?,
        },
        other => {
            return Err(ParseError {
                line,
                message: format!("unknown path '{other}'"),
            })
        }
    })
}

fn parse_fault(line: usize, words: &[&str]) -> Result<Fault, ParseError> {
    let Some((kind, rest)) = words.split_first() else {
        return Err(ParseError {
            line,
            message: "fault needs a kind".into(),
        });
    };
    let a = Args::parse(line, rest)?;
    let source = |a: &Args| -> Result<usize, ParseError> {
        let s: usize = a.get("source")?;
        if s >= super::feeds::SOURCES {
            return Err(ParseError {
                line,
                message: format!(
                    "source={s}: there are {} sources (0..)",
                    super::feeds::SOURCES
                ),
            });
        }
        Ok(s)
    };
    Ok(match *kind {
        "spike" => Fault::Spike {
            source: source(&a)?,
            at: a.get("at")?,
            bps: a.get("bps")?,
        },
        "freeze" => Fault::Freeze {
            source: source(&a)?,
            from: a.get("from")?,
            to: a.get("to")?,
        },
        "collude" => Fault::Collude {
            sources: a.list("sources")?,
            from: a.get("from")?,
            to: a.get("to")?,
            bps: a.get("bps")?,
        },
        "conf" => Fault::Conf {
            source: source(&a)?,
            from: a.get("from")?,
            to: a.get("to")?,
            bps: a.get("bps")?,
        },
        "congestion" => Fault::Congestion {
            from: a.get("from")?,
            to: a.get("to")?,
            slot_ms: a.get("slot_ms")?,
            drop: a.get("drop")?,
        },
        "keeper_offline" => Fault::KeeperOffline {
            from: a.get("from")?,
            to: a.get("to")?,
        },
        "agent_offline" => Fault::AgentOffline {
            from: a.get("from")?,
            to: a.get("to")?,
        },
        "agent_compromised" => Fault::AgentCompromised {
            from: a.get("from")?,
            to: a.get("to")?,
        },
        "validators_collude" => Fault::ValidatorsCollude {
            count: a.get("count")?,
        },
        other => {
            return Err(ParseError {
                line,
                message: format!("unknown fault '{other}'"),
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_scenario_parses() {
        let s = Scenario::parse(
            "# demo\nname demo\nseed 3\naccounts 50\nstep 15\nduration 600\nprice 20000\nonset 60\n\
             path gbm vol=0.8 drift=0 jumps_per_day=2 jump=0.05\n\
             fault spike source=0 at=120 bps=-3000\nfault collude sources=0,1 from=1 to=2 bps=5\n",
        )
        .unwrap();
        assert_eq!(s.name, "demo");
        assert_eq!(s.duration / s.step, 40);
        assert_eq!(s.faults.len(), 2);
        assert_eq!(
            s.faults[1],
            Fault::Collude {
                sources: vec![0, 1],
                from: 1,
                to: 2,
                bps: 5.0
            }
        );
    }

    #[test]
    fn a_replay_names_its_files_and_the_reference() {
        let s = Scenario::parse("path replay files=a.csv,b.csv,c.csv reference=r.csv\nstep 60\n")
            .unwrap();
        assert!(s.step_set);
        let Path::Replay(files) = &s.path else {
            panic!("{:?}", s.path)
        };
        assert_eq!(
            files.sources,
            ["a.csv", "b.csv", "c.csv"].map(PathBuf::from)
        );
        assert_eq!(files.reference, Some(PathBuf::from("r.csv")));
        let at = files.relative_to(std::path::Path::new("/data"));
        assert_eq!(at.sources[0], PathBuf::from("/data/a.csv"));
        assert_eq!(at.reference, Some(PathBuf::from("/data/r.csv")));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (
                "name x\nseed seven\n",
                "line 2: seed seven: not a valid number",
            ),
            ("\n\npath warp speed=9\n", "line 3: unknown path 'warp'"),
            ("fault spike source=0 at=10\n", "line 1: missing bps="),
            (
                "fault spike source=7 at=1 bps=1\n",
                "line 1: source=7: there are 3 sources (0..)",
            ),
            (
                "step 0\n",
                "line 1: step and price must be positive, duration not negative",
            ),
            ("colour blue\n", "line 1: unknown key 'colour'"),
            (
                "fault freeze source=1 from=a to=3\n",
                "line 1: from=a is not a valid number",
            ),
            (
                "path flash_crash at=1 depth\n",
                "line 1: expected key=value, found 'depth'",
            ),
            (
                "path replay files=a.csv,b.csv\n",
                "line 1: replay files= takes 3 files, one per source, not 2 (name one file twice to give two sources the same history)",
            ),
            (
                "path replay files=a,b,c refrence=r\n",
                "line 1: replay takes files= and reference=, not refrence=",
            ),
            ("path replay q1-2023\n", "line 1: expected key=value, found 'q1-2023'"),
        ];
        for (text, expected) in cases {
            assert_eq!(Scenario::parse(text).unwrap_err().to_string(), expected);
        }
    }
}
