"""Shared pieces of the standard-library test drivers."""
import pathlib
import subprocess
import tempfile
import unittest


class CliRunner:
    """The iommusim binary a CLI test drives (set .binary from its
    arguments) and a scratch directory of scenario files removed at exit."""

    def __init__(self, prefix, stem):
        self.binary = None
        self._tmp = tempfile.TemporaryDirectory(prefix=prefix)
        self._stem = stem
        self._count = 0

    def run(self, *argv, **kw):
        """Run the binary with @argv; text output captured, 60 s at most."""
        return subprocess.run([self.binary, *argv], capture_output=True, text=True,
                              timeout=60, **kw)

    def scenario(self, text):
        """Write @text to a fresh .yaml file in the scratch directory."""
        self._count += 1
        path = pathlib.Path(self._tmp.name) / f"{self._stem}{self._count}.yaml"
        path.write_text(text)
        return str(path)


def run_case(cls):
    """Run one TestCase class; print the 'N passed, N failed' line CI reads."""
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(cls)
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed} passed, {failed} failed")
    return 0 if result.wasSuccessful() else 1
