from shipctl.cli.main import run

run()
