// The customers in memory, behind one lock: lookups as GET reads them (contract rule 3), the target
// of a PATCH (rule 4) and its partial update (rule 5). Callers get copies, never the stored objects.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Newtonsoft.Json;

namespace QFlow.StandIn
{
    /// <summary>The seed file: customer-id types and customers, read with Json.NET as the API reads bodies.</summary>
    public class Seed
    {
        public List<CustomerIdType> CustomerIdTypes { get; set; }

        public List<Customer> Customers { get; set; }
    }

    /// <summary>Why a PATCH found no record to update.</summary>
    public enum TargetProblem
    {
        None,
        NoIdentifier,
        NotFound,
    }

    public class CustomerStore
    {
        private readonly object gate = new object();
        private readonly SortedDictionary<int, Customer> customers = new SortedDictionary<int, Customer>();
        private readonly List<CustomerIdType> idTypes;

        /// <summary>The store the controller serves (set once at start).</summary>
        public static CustomerStore Shared { get; set; }

        public CustomerStore(Seed seed)
        {
            idTypes = (seed.CustomerIdTypes ?? new List<CustomerIdType>()).OrderBy(t => t.Id).ToList();
            foreach (var customer in seed.Customers ?? new List<Customer>())
            {
                customers[customer.CustomerId] = customer.Copy();
            }
        }

        /// <summary>The seed file at `path`, read by the same Json.NET the formatter uses.</summary>
        public static CustomerStore Load(string path)
        {
            var seed = JsonConvert.DeserializeObject<Seed>(File.ReadAllText(path));
            return new CustomerStore(seed);
        }

        /// <summary>GET Customers/{id}: a copy of the record `id` names, or null.</summary>
        public Customer Lookup(string id, int idType, string idTypeExtRef)
        {
            lock (gate)
            {
                if (!string.IsNullOrEmpty(idTypeExtRef))
                {
                    var type = idTypes.FirstOrDefault(t => t.ExtRef == idTypeExtRef);
                    return type == null ? null : Copy(FindPersonal(type.Id, id));
                }
                if (idType > 0)
                {
                    return Copy(FindPersonal(idType, id));
                }
                int customerId;
                Customer found;
                if (int.TryParse(id, out customerId) && customers.TryGetValue(customerId, out found))
                {
                    return found.Copy();
                }
                return null;
            }
        }

        /// <summary>PATCH Customers: apply `changes` to the record they name; a copy of it as stored.</summary>
        public Customer Update(Customer changes, out TargetProblem problem)
        {
            lock (gate)
            {
                var target = Target(changes, out problem);
                if (target == null)
                {
                    return null;
                }
                Apply(target, changes);
                return target.Copy();
            }
        }

        private Customer Target(Customer changes, out TargetProblem problem)
        {
            problem = TargetProblem.None;
            Customer found = null;
            if (changes.CustomerId > 0)
            {
                customers.TryGetValue(changes.CustomerId, out found);
            }
            else if (string.IsNullOrEmpty(changes.PersonalId))
            {
                problem = TargetProblem.NoIdentifier;
                return null;
            }
            else
            {
                CustomerIdType type = null;
                if (changes.PersonalIdTypeId > 0)
                {
                    type = idTypes.FirstOrDefault(t => t.Id == changes.PersonalIdTypeId);
                }
                else if (!string.IsNullOrEmpty(changes.PersonalIdTypeExtRef))
                {
                    type = idTypes.FirstOrDefault(t => t.ExtRef == changes.PersonalIdTypeExtRef);
                }
                else
                {
                    type = idTypes.FirstOrDefault();
                }
                found = type == null ? null : FindPersonal(type.Id, changes.PersonalId);
            }
            if (found == null)
            {
                problem = TargetProblem.NotFound;
            }
            return found;
        }

        // A partial update: what is null in `changes` (absent or null in the body) is kept; the identity
        // (CustomerId, PersonalId, PersonalIdTypeId, PersonalIdTypeExtRef) is never changed; the
        // dictionary is merged key by key.
        private static void Apply(Customer stored, Customer changes)
        {
            if (changes.FirstName != null) stored.FirstName = changes.FirstName;
            if (changes.LastName != null) stored.LastName = changes.LastName;
            if (changes.Email != null) stored.Email = changes.Email;
            if (changes.TelNumber1 != null) stored.TelNumber1 = changes.TelNumber1;
            if (changes.TelNumber2 != null) stored.TelNumber2 = changes.TelNumber2;
            if (changes.DOB != null) stored.DOB = changes.DOB;
            if (changes.Sex != null) stored.Sex = changes.Sex;
            if (changes.Notes != null) stored.Notes = changes.Notes;
            if (changes.ExtRef != null) stored.ExtRef = changes.ExtRef;
            if (changes.NotificationConsent != null) stored.NotificationConsent = changes.NotificationConsent;
            if (changes.IsActive != null) stored.IsActive = changes.IsActive;
            if (changes.CustomProperties != null)
            {
                if (stored.CustomProperties == null)
                {
                    stored.CustomProperties = new Dictionary<string, string>();
                }
                foreach (var entry in changes.CustomProperties)
                {
                    stored.CustomProperties[entry.Key] = entry.Value;
                }
            }
        }

        private Customer FindPersonal(int typeId, string personalId)
        {
            return customers.Values.FirstOrDefault(c => c.PersonalIdTypeId == typeId && c.PersonalId == personalId);
        }

        private static Customer Copy(Customer customer)
        {
            return customer == null ? null : customer.Copy();
        }
    }
}
