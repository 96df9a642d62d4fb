// The two documented operations, written as a Web API team writes them: the framework binds the
// body (Json.NET, or the form formatters) and validates it with DataAnnotations; PATCH refuses an
// invalid ModelState, GET binds its query parameters and does not check ModelState.
using System.Net;
using System.Net.Http;
using System.Web.Http;

namespace QFlow.StandIn
{
    public class CustomersController : ApiController
    {
        // GET Customers/{id}?idType={idType}&idTypeExtRef={idTypeExtRef}
        [HttpGet]
        public HttpResponseMessage Get(string id, int idType = 0, string idTypeExtRef = "")
        {
            var customer = CustomerStore.Shared.Lookup(id, idType, idTypeExtRef);
            if (customer == null)
            {
                // Web API 2: Request.CreateErrorResponse(HttpStatusCode.NotFound, message)
                return Released.CreateErrorResponse(Request, HttpStatusCode.NotFound, "No customer matches id '" + id + "'.");
            }
            return Request.CreateResponse(HttpStatusCode.OK, customer);
        }

        // PATCH Customers: update an existing customer record, found by CustomerId or by PersonalId.
        [HttpPatch]
        public HttpResponseMessage Patch(Customer customer)
        {
            if (!ModelState.IsValid)
            {
                // Web API 2: Request.CreateErrorResponse(HttpStatusCode.BadRequest, ModelState)
                return Released.CreateErrorResponse(Request, HttpStatusCode.BadRequest, ModelState);
            }
            if (customer == null)
            {
                ModelState.AddModelError("customer", "A Customer record is required.");
                return Released.CreateErrorResponse(Request, HttpStatusCode.BadRequest, ModelState);
            }
            TargetProblem problem;
            var stored = CustomerStore.Shared.Update(customer, out problem);
            if (problem == TargetProblem.NoIdentifier)
            {
                ModelState.AddModelError("customer", "A CustomerId greater than 0 or a PersonalId is required.");
                return Released.CreateErrorResponse(Request, HttpStatusCode.BadRequest, ModelState);
            }
            if (problem == TargetProblem.NotFound)
            {
                return Released.CreateErrorResponse(Request, HttpStatusCode.NotFound, "No customer matches the record's identifier.");
            }
            return Request.CreateResponse(HttpStatusCode.OK, stored);
        }
    }
}
