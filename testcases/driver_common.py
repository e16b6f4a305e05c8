"""Shared tail of the standard-library test drivers."""
import unittest


def run_case(cls):
    """Run one TestCase class; print the 'N passed, N failed' line CI reads."""
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(cls)
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed} passed, {failed} failed")
    return 0 if result.wasSuccessful() else 1
