from wheelscan.cli.main import run

run()
