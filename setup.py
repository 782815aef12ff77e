"""Build script: metadata lives in setup.cfg; this file only declares the optional compiled CPU kernel.

The kernel is plain C (no Python or torch headers), loaded through ctypes by torch_impl/_kernel.py.  It is
optional: without a C compiler the build skips it and torch_impl uses its PyTorch code path instead.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "torch_impl._sigmoid_focal_cpu",
            sources=["torch_impl/csrc/sigmoid_focal.c"],
            extra_compile_args=["-O3", "-std=gnu11", "-fno-math-errno", "-fno-trapping-math", "-pthread"],
            extra_link_args=["-pthread"],
            optional=True,
        )
    ]
)
