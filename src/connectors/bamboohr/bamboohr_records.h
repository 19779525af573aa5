// BambooHR records → the unified models (shared/kombo-models.md): an employee as GET /api/v1/employees/{id}
// returns it (the fields named in kEmployeeFields), and a time-off request as GET /api/v1/time_off/requests
// lists it. Thread-safety: stateless free functions.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "connectors/connector.h"

namespace tributary::connectors::bamboohr {

// The employee fields requested with `fields=` (without it BambooHR answers only the id).
inline constexpr std::string_view kEmployeeFields =
    "firstName,lastName,preferredName,displayName,employeeNumber,jobTitle,workEmail,homeEmail,mobilePhone,"
    "gender,maritalStatus,status,employmentHistoryStatus,hireDate,terminationDate,dateOfBirth,supervisorEId,"
    "department,division,location,address1,address2,city,state,zipcode,country,photoUrl";

boost::json::object map_employee(const ApiContext& ctx, const boost::json::object& e,
                                 const std::string& remote_id);
boost::json::object map_time_off_request(const ApiContext& ctx, const boost::json::object& r,
                                         const std::string& remote_id);

}  // namespace tributary::connectors::bamboohr
