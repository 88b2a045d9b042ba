from domain.kernel.errors import (
    ApplicationError,
    AuthenticationError,
    BusinessRuleViolationError,
    ConflictError,
    DomainError,
    EntityNotFoundError,
    InvalidValueError,
    ValidationError,
)


def test_domain_errors_keep_their_message():
    error = BusinessRuleViolationError("already deactivated")

    assert error.message == "already deactivated"
    assert str(error) == "already deactivated"


def test_errors_are_equal_when_kind_and_message_match():
    assert ConflictError("taken") == ConflictError("taken")
    assert hash(ConflictError("taken")) == hash(ConflictError("taken"))
    assert ConflictError("taken") != ConflictError("other")
    assert ConflictError("taken") != EntityNotFoundError("taken")
    assert ApplicationError("x") != DomainError("x")


def test_invalid_value_error_names_the_field_and_is_a_value_error():
    error = InvalidValueError("email", "Enter a valid e-mail address.")

    assert error.field == "email"
    assert error.message == "Enter a valid e-mail address."
    assert isinstance(error, ValueError)
    assert isinstance(error, DomainError)


def test_validation_error_copies_field_messages_into_lists():
    source = {"email": ("bad",), "password": ["short", "common"]}

    error = ValidationError("The request is not valid.", source)
    source["password"].append("later")

    assert error.errors == {"email": ["bad"], "password": ["short", "common"]}


def test_validation_error_without_fields_has_no_field_errors():
    assert ValidationError("nope").errors == {}


def test_validation_error_for_one_field():
    error = ValidationError.for_field("reason", "Give a reason.")

    assert error.errors == {"reason": ["Give a reason."]}
    assert error.message == "The request is not valid."


def test_error_kinds_sit_in_the_seed_hierarchy():
    assert issubclass(ValidationError, ApplicationError)
    assert issubclass(AuthenticationError, ApplicationError)
    assert issubclass(ConflictError, DomainError)
    assert issubclass(EntityNotFoundError, DomainError)
    assert issubclass(BusinessRuleViolationError, DomainError)
