// HiBob records → the unified models (shared/kombo-models.md): an employee as POST /v1/people/search and
// POST /v1/people/{id} return it for the fields in kPeopleFields, and a time-off request as
// GET /v1/timeoff/employees/{employeeId}/requests/{requestId} returns it. Thread-safety: stateless functions.
#pragma once

#include <array>
#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "connectors/connector.h"

namespace tributary::connectors::hibob {

// The fields requested from the people endpoints (Bob answers only what is asked for).
inline constexpr std::array<std::string_view, 18> kPeopleFields = {"root.id",
                                                                   "root.firstName",
                                                                   "root.surname",
                                                                   "root.email",
                                                                   "root.displayName",
                                                                   "work.title",
                                                                   "work.department",
                                                                   "work.site",
                                                                   "work.startDate",
                                                                   "work.reportsTo",
                                                                   "work.employeeIdInCompany",
                                                                   "internal.status",
                                                                   "internal.terminationDate",
                                                                   "personal.shortBirthDate",
                                                                   "personal.nationality",
                                                                   "about.avatar",
                                                                   "home.mobilePhone",
                                                                   "home.privateEmail"};

boost::json::object map_employee(const ApiContext& ctx, const boost::json::object& e,
                                 const std::string& remote_id);
boost::json::object map_time_off_request(const ApiContext& ctx, const boost::json::object& r,
                                         const std::string& remote_id, const std::string& employee_remote_id);

}  // namespace tributary::connectors::hibob
