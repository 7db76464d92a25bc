from yunying_shared.errors import InvalidInput, NotFound


class TagNotFound(NotFound):
    code = "tag_not_found"


class TagRuleNotFound(NotFound):
    code = "tag_rule_not_found"


class InvalidTagImport(InvalidInput):
    code = "invalid_tag_import"
