from wheelscan.cli.fast import run

run()
