//! `shiprig demo`.

use super::{Exit, Global};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {}

pub async fn run(_args: DemoArgs, _global: &Global) -> anyhow::Result<Exit> {
    anyhow::bail!("the demo arrives with the emulator")
}
