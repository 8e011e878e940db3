"""Schemathesis hooks for the gmac contract run (loaded by schemathesis_run.py through
SCHEMATHESIS_HOOKS).

One check, `positive_data_acceptance_gmac`, stands in for schemathesis' own
`positive_data_acceptance` (ST202, "schema-valid request rejected"), which the run excludes. It
runs the very same built-in check and reports every failure it reports, except a 422 whose
every field error is one of the codes below: rules that no OpenAPI document can state, so no
generated request can be known to respect them. A 422 with any other code (a length, a
pattern, a format, an enum the document could have given) is still a failure, and so is every
other status.
"""

from __future__ import annotations

import json

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    positive_data_acceptance,
)

# A field refers to a record that does not exist: which ids exist is state, not shape.
REFERENCES_TO_MISSING_RECORDS = {
    "not_found",  # e.g. POST /api/v1/invitations with a scope id that names nothing
    "unknown_scope",  # a budget's scope id
    "unknown_subject",  # a user or team id that names nothing
    "unknown_role",  # a role id (custom roles are records too)
    "unknown_project",  # a project id
}

# Rules between two query parameters: OpenAPI describes each parameter on its own.
RELATIONS_BETWEEN_QUERY_PARAMETERS = {
    "before_from",  # `to` before `from`
    "range_too_long",  # `from`..`to` longer than allowed
    "invalid_range",  # `to` not after `from`, or more than a year later
    "one_subject",  # user_id and team_id together
    "not_allocated",  # per-user/team costs with a filter or grouping they do not support
    "not_comparable",  # compare=true with a day or month grouping
    "needs_dates",  # stack_by without group_by day or month
}

# The install's egress policy: the contract run lets gmac reach loopback only, so a generated
# endpoint elsewhere is refused; which networks are reachable is configuration, not shape.
CONFIGURATION = {
    "egress_denied",  # a cloud account's endpoint_url outside the allowed networks
}

# Rules between two fields of one body: a rule names at least one criterion, a tag value needs
# its key. JSON Schema could say so only with combinators that generators handle poorly.
RELATIONS_BETWEEN_FIELDS = {
    "no_criterion",  # an allocation rule with no tag, account or service to match
    "needs_tag_key",  # an allocation rule with a tag value but no tag key
}

# Per operation: the body is a file in a format no JSON Schema describes (a FOCUS CSV), so a
# generated body is practically never one, and 422 with this code is the documented answer.
PER_OPERATION = {
    "import_costs": {"invalid_focus_file"},
    # Connecting with `test: true` asks Cost Explorer first: whether it answers at the
    # generated endpoint with generated keys is the world's state, not the request's shape.
    "create_cloud_account": {"connection_failed"},
    # Connecting Gitea or GitHub asks the host to accept the token first (the world's state);
    # a token is required for those two providers and not for `git` (a rule between fields);
    # the URL must be http(s) without a user, query or fragment (no JSON Schema format says so).
    "create_git_connection": {"connection_failed", "required", "invalid_url", "invalid"},
    # A service names a template, a git connection and a team that must exist (state); its
    # parameters follow the chosen template's own JSON Schema, which the document cannot
    # carry for every template at once; a repository name may not end in `.git`.
    "create_service": {
        "unknown", "invalid", "type", "not_allowed", "too_long", "too_short", "too_large",
        "too_small",
    },
    # Both environments named once, each on its own branch (rules between items of a list);
    # the owning team must exist; a build setting's name, path or image follows rules no
    # JSON Schema pattern in the document states; a service holds at most 20 build secrets
    # in all (the ones it has plus the ones set: state). A notice rule names a team or an
    # address (a rule between two fields), its teams must exist (state), and an address
    # follows rules no JSON Schema format states.
    "update_service": {
        "unknown", "invalid", "too_long", "no_recipients", "invalid_email", "required",
    },
    # A ref follows git's rules for names (no `..`, no leading `-`, ...).
    "start_build": {"invalid"},
    # A template source's URL is http(s) without a user, query or fragment; its ref follows
    # git's rules for names and its folder is a plain relative path (no `.` or `..` parts);
    # its git connection must exist and be the installation's (state).
    "create_template_source": {"invalid_url", "invalid", "unknown"},
    # A target is saved only once its engine (and proxy) answer: whether something listens at
    # a generated address is the world's state; an address is unix:///path or tcp://host:port
    # and a name is trimmed text, TLS credentials are PEM (rules no JSON Schema format
    # states); the client and project must exist.
    "create_target": {
        "connection_failed", "invalid", "invalid_url", "unknown", "required", "too_short", "too_long",
        "local_socket",
        # A field that only one kind takes (a kubeconfig, a proxy URL), a cluster's address
        # that must be its kubeconfig's server, and TLS credentials that a tcp:// address needs
        # and a unix socket refuses: rules between fields.
        "not_for_kind", "mismatch", "not_for_address",
    },
    # A custom domain under .localhost is one of gmac's own hosts, and an environment holds
    # at most 20 domains (state).
    "create_domain": {"reserved", "too_many"},
    # Autoscaling bounds in order (min <= replicas <= max): rules between fields.
    "scale_environment": {"out_of_range"},
    # An environment's target must exist and serve the service's client (state); only a
    # preview expires (state), later than now and within 30 days of it (the clock's state,
    # which the document cannot pin).
    "update_environment": {"unknown", "not_preview", "outside_window"},
    # A preview's branch is as git allows (no pattern in the document) and not one staging or
    # production builds (state).
    "create_preview": {"invalid", "taken"},
    # A deploy names a build of the service that succeeded (state), or an image; exactly one
    # of the two (a rule between fields).
    "create_deploy": {"unknown", "not_built", "required"},
    # A rollback names a release of the environment (state).
    "rollback_environment": {"unknown"},
    # A variable's name is a shell name, not PORT nor GMAC_* (an object's keys have no pattern
    # in the document); a name may not be a secret's too (state); at most 200 (a count of
    # keys). A secret's name in the path follows the same rules.
    "set_variables": {"invalid", "too_many", "taken"},
    "set_secret": {"invalid", "taken"},
    # A version to bring back must exist (state).
    "rollback_variables": {"unknown"},
    # The same rules for the variables a project or a service shares (a shared name may be an
    # environment's secret, which then overrides it).
    # A project's variable may not take the name of a secret it shares (state).
    "set_project_variables": {"invalid", "too_many", "taken"},
    # A service's variable may not take the name of a secret it shares (state).
    "set_service_variables": {"invalid", "too_many", "taken"},
    # A secret a service or a project shares: a name as a variable's (no pattern in the path),
    # not one of the variables it shares (state), at most 100 (a count).
    "set_service_secret": {"invalid", "taken", "too_many"},
    "set_project_secret": {"invalid", "taken", "too_many"},
    "rollback_project_variables": {"unknown"},
    "rollback_service_variables": {"unknown"},
    "set_group_variables": {"invalid", "too_many"},
    "rollback_group_variables": {"unknown"},
    # A group's name is unique in its project (state); its variables follow the rules above.
    "create_variable_group": {"invalid", "too_many", "taken"},
    # Attached groups must be the project's (state), each once (a relation between items).
    "set_service_variable_groups": {"unknown", "duplicate", "too_many"},
    # Whether a month is over is the clock's state, not the request's shape.
    "issue_invoice": {"month_not_over"},
}

EXEMPT = (
    REFERENCES_TO_MISSING_RECORDS
    | RELATIONS_BETWEEN_QUERY_PARAMETERS
    | RELATIONS_BETWEEN_FIELDS
    | CONFIGURATION
)


def _exempt(case, response) -> bool:
    if response.status_code != 422:
        return False
    try:
        problem = json.loads(response.content)
    except ValueError:
        return False
    errors = problem.get("errors") if isinstance(problem, dict) else None
    if not isinstance(errors, list) or not errors:
        return False
    allowed = EXEMPT | PER_OPERATION.get(case.operation.definition.raw.get("operationId"), set())
    return all(isinstance(e, dict) and e.get("code") in allowed for e in errors)


def _lacks_a_required_query_parameter(case) -> bool:
    """Whether the request left out a query parameter the document requires, so that it is not
    schema-valid data at all. The stateful phase can send one: a link it infers from a response
    field (a git connection's `client_id`, null for one made for the installation) is followed
    with that parameter dropped, and 400 is the right answer."""
    query = case.query or {}
    for param in case.operation.definition.raw.get("parameters", []):
        # A link that carried a null leaves the parameter out of the request as sent.
        if param.get("in") == "query" and param.get("required") and query.get(param.get("name")) is None:
            return True
    return False


@schemathesis.check
def positive_data_acceptance_gmac(ctx, response, case):
    if _lacks_a_required_query_parameter(case):
        return None
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _exempt(case, response):
            return None
        raise


@schemathesis.check
def ensure_resource_availability_gmac(ctx, response, case):
    """Schemathesis' ST302 ("created resource not found"), which the run excludes, except on
    GET /users/{id}/avatar: a user is created without a picture, and that 404 is the documented
    answer until one is uploaded, not a lost user (the user itself is read by every other link)."""
    if case.operation.definition.raw.get("operationId") == "get_avatar":
        return None
    return ensure_resource_availability(ctx, response, case)
