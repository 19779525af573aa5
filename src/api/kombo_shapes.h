// The parts of Kombo's general API shapes that Tributary builds from its connectors' declarations, so that
// Kombo's SDK (@kombo-api/sdk 1.1.3: getTools, getIntegrationDetails) reads Tributary's answers unchanged:
// the `tool` object, the read models with their coverage, and the tool list of GET /v1/tools/{category}.
// Tributary serves no tool logos; the logo and icon URLs point at its own icon, so that they are URLs that
// answer. Thread-safety: pure functions.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string_view>

#include "connectors/connector.h"
#include "processing/scope.h"

namespace tributary::api {

// {id, label, internal_label, logo_url, icon_url}: the integration object's `tool`.
boost::json::object kombo_tool(const connectors::Connector& connector, std::string_view public_url);

// The integration object's `read_models`: every model of the tool's category and any other it reads, each
// {id, label, is_available, coverage_status, scope_config_setting, opted_out_by_customer, fields: []}.
// `is_available` when the tool's records can be read and the scope enables the model.
boost::json::array kombo_read_models(const connectors::Connector& connector, const processing::Scope& scope);

}  // namespace tributary::api
