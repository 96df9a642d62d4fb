// The Customer record as the vendor's help pages describe it, with the DataAnnotations those pages
// were generated from ("Max length: N" is a StringLength, "Range: inclusive between 0 and 2" a Range).
// Every property but CustomerId is nullable, so an absent or null property in a PATCH reads as null
// and is left as it is (contract rule 5). Declaration order is the order Json.NET writes.
// IValidatableObject refuses what no attribute says: a null dictionary value, which Json.NET reads into
// a Dictionary<string, string> and the next GET would answer, though the page types values as strings.
using System;
using System.Collections.Generic;
using System.Linq;
using System.ComponentModel.DataAnnotations;

namespace QFlow.StandIn
{
    public class Customer : IValidatableObject
    {
        public int CustomerId { get; set; }

        [StringLength(30)]
        public string PersonalId { get; set; }

        public int? PersonalIdTypeId { get; set; }

        public string PersonalIdTypeExtRef { get; set; }

        [StringLength(50)]
        public string FirstName { get; set; }

        [StringLength(50)]
        public string LastName { get; set; }

        [StringLength(100)]
        public string Email { get; set; }

        [StringLength(25)]
        public string TelNumber1 { get; set; }

        [StringLength(25)]
        public string TelNumber2 { get; set; }

        public DateTime? DOB { get; set; }

        [Range(0, 2)]
        public byte? Sex { get; set; }

        [StringLength(250)]
        public string Notes { get; set; }

        [StringLength(200)]
        public string ExtRef { get; set; }

        public bool? NotificationConsent { get; set; }

        public bool? IsActive { get; set; }

        public Dictionary<string, string> CustomProperties { get; set; }

        /// <summary>Each CustomProperties key sent with a null value, as a validation error.</summary>
        public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
        {
            if (CustomProperties == null)
            {
                return Enumerable.Empty<ValidationResult>();
            }
            return CustomProperties.Where(e => e.Value == null).Select(e => new ValidationResult(
                "The value of CustomProperties['" + e.Key + "'] must be a string.", new[] { "CustomProperties" }));
        }

        /// <summary>A copy that shares nothing mutable with this record.</summary>
        public Customer Copy()
        {
            var copy = (Customer)MemberwiseClone();
            if (CustomProperties != null)
            {
                copy.CustomProperties = new Dictionary<string, string>(CustomProperties);
            }
            return copy;
        }
    }

    /// <summary>A QFlow customer-id type: the type a PersonalId belongs to.</summary>
    public class CustomerIdType
    {
        public int Id { get; set; }

        public string ExtRef { get; set; }

        public string Name { get; set; }
    }
}
