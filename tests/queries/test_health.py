from api.loading.file_checks import BUILD_TABLE
from api.queries.health import BUILD_RECORD_TABLE


def test_the_health_check_reads_the_table_the_build_records_itself_in() -> None:
    assert BUILD_RECORD_TABLE == BUILD_TABLE
