import pytest

from segmentation.main import DEFINITION


@pytest.fixture
def service_definition():
    return DEFINITION
