"""Build script: metadata lives in setup.cfg; this file only declares the optional compiled CPU kernels.

The kernels are plain C (no Python or torch headers) in one shared library, loaded through ctypes by
torch_impl/_kernel.py.  They are optional: without a C compiler the build skips them and torch_impl uses its
PyTorch code paths instead.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "torch_impl._cpu_kernels",
            sources=["torch_impl/csrc/sigmoid_focal.c", "torch_impl/csrc/softmax_rows.c", "torch_impl/csrc/parallel.c"],
            depends=["torch_impl/csrc/lossref_math.h", "torch_impl/csrc/lossref_parallel.h"],
            extra_compile_args=["-O3", "-std=gnu11", "-fno-math-errno", "-fno-trapping-math", "-pthread"],
            extra_link_args=["-pthread"],
            optional=True,
        )
    ]
)
