"""``python -m trainer TASK --config trainer/configs/TASK.yaml``: rebuild a shipped model."""

from trainer.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
