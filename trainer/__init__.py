"""The bundled trainer: rebuilds every shipped model (``python -m trainer --help``).

The CPU instruction set is capped here, before any trainer module imports torch, so CPU
training repeats across machines (``trainer.cpu_isa``)."""

from trainer.cpu_isa import pin_cpu_isa

pin_cpu_isa()
