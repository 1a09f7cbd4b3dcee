package demo

// Area is the part of the country a trust serves: the postcode districts
// its patients live in, with the post town and locality of each, and the
// telephone numbers and GP practice codes used for it. Postcode districts
// are real; everything generated within them is not.
type Area struct {
	Name      string
	Districts []District
	// Landline is the Ofcom drama range for the area's landlines, without
	// its last three digits: "020 7946 0" gives 020 7946 0000 to 0999.
	Landline string
	// PracticePrefix starts the invented codes of the area's GP practices,
	// e.g. "F89".
	PracticePrefix string
	// Ethnicity is the mix of ETHNIC CATEGORY codes, as weights out of
	// 1,000.
	Ethnicity []Weighted
}

// District is one postcode district (the outward code) with the post town
// and a locality to put on the address, and a weight saying how many of
// the area's patients live there.
type District struct {
	Outward, Locality, Town string
	Weight                  int
}

// Weighted is a code and how often it occurs.
type Weighted struct {
	Code   string
	Weight int
}

// EastLondon is the area of the first demo trust: inner and outer east
// London, Ilford and Romford.
var EastLondon = &Area{
	Name: "East London",
	Districts: []District{
		{"E1", "Whitechapel", "London", 6}, {"E1W", "Wapping", "London", 2}, {"E2", "Bethnal Green", "London", 5},
		{"E3", "Bow", "London", 5}, {"E5", "Clapton", "London", 4}, {"E6", "East Ham", "London", 6},
		{"E7", "Forest Gate", "London", 5}, {"E8", "Hackney", "London", 4}, {"E9", "Homerton", "London", 4},
		{"E10", "Leyton", "London", 4}, {"E11", "Leytonstone", "London", 5}, {"E12", "Manor Park", "London", 4},
		{"E13", "Plaistow", "London", 5}, {"E14", "Poplar", "London", 6}, {"E15", "Stratford", "London", 5},
		{"E16", "Canning Town", "London", 5}, {"E17", "Walthamstow", "London", 6}, {"E18", "South Woodford", "London", 2},
		{"IG1", "Ilford", "Ilford", 4}, {"IG2", "Gants Hill", "Ilford", 2}, {"IG3", "Seven Kings", "Ilford", 3},
		{"IG6", "Barkingside", "Ilford", 2}, {"IG8", "Woodford Green", "Woodford Green", 2}, {"IG11", "Barking", "Barking", 4},
		{"RM1", "Romford", "Romford", 3}, {"RM6", "Chadwell Heath", "Romford", 2}, {"RM8", "Becontree", "Dagenham", 3},
		{"RM9", "Dagenham", "Dagenham", 3}, {"RM10", "Dagenham", "Dagenham", 2}, {"RM11", "Hornchurch", "Hornchurch", 2},
		{"RM12", "Elm Park", "Hornchurch", 2}, {"RM13", "Rainham", "Rainham", 2}, {"RM14", "Upminster", "Upminster", 1},
	},
	Landline:       "020 7946 0",
	PracticePrefix: "F89",
	Ethnicity: []Weighted{
		{"A", 330}, {"B", 20}, {"C", 120}, {"D", 12}, {"E", 10}, {"F", 10}, {"G", 12},
		{"H", 60}, {"J", 40}, {"K", 130}, {"L", 30}, {"M", 45}, {"N", 95}, {"P", 10},
		{"R", 15}, {"S", 26}, {"Z", 20}, {"99", 15},
	},
}

// KentAndSussex is the area of the second demo trust: Medway and mid
// Kent, the Weald, and the Sussex coast.
var KentAndSussex = &Area{
	Name: "Kent and Sussex",
	Districts: []District{
		{"ME1", "Rochester", "Rochester", 4}, {"ME2", "Strood", "Rochester", 4}, {"ME4", "Chatham", "Chatham", 4},
		{"ME5", "Walderslade", "Chatham", 5}, {"ME7", "Gillingham", "Gillingham", 5}, {"ME8", "Rainham", "Gillingham", 4},
		{"ME10", "Sittingbourne", "Sittingbourne", 4}, {"ME14", "Maidstone", "Maidstone", 4}, {"ME15", "Shepway", "Maidstone", 4},
		{"ME16", "Barming", "Maidstone", 3}, {"TN1", "Tunbridge Wells", "Tunbridge Wells", 2}, {"TN2", "Pembury", "Tunbridge Wells", 3},
		{"TN4", "Southborough", "Tunbridge Wells", 3}, {"TN6", "Crowborough", "Crowborough", 2}, {"TN9", "Tonbridge", "Tonbridge", 3},
		{"TN10", "Higham Wood", "Tonbridge", 2}, {"TN13", "Sevenoaks", "Sevenoaks", 2}, {"TN21", "Heathfield", "Heathfield", 2},
		{"TN22", "Uckfield", "Uckfield", 2}, {"TN24", "Kennington", "Ashford", 3}, {"TN34", "Hastings", "Hastings", 3},
		{"TN38", "St Leonards", "St Leonards-on-Sea", 3}, {"TN39", "Bexhill", "Bexhill-on-Sea", 2}, {"BN1", "Brighton", "Brighton", 4},
		{"BN2", "Kemptown", "Brighton", 4}, {"BN3", "Hove", "Hove", 4}, {"BN7", "Lewes", "Lewes", 2},
		{"BN9", "Newhaven", "Newhaven", 1}, {"BN10", "Peacehaven", "Peacehaven", 2}, {"BN21", "Eastbourne", "Eastbourne", 3},
		{"BN22", "Hampden Park", "Eastbourne", 3}, {"BN25", "Seaford", "Seaford", 2}, {"BN27", "Hailsham", "Hailsham", 2},
	},
	Landline:       "01632 960",
	PracticePrefix: "G89",
	Ethnicity: []Weighted{
		{"A", 800}, {"B", 10}, {"C", 60}, {"D", 6}, {"E", 4}, {"F", 6}, {"G", 5},
		{"H", 18}, {"J", 5}, {"K", 4}, {"L", 10}, {"M", 4}, {"N", 14}, {"P", 2},
		{"R", 7}, {"S", 5}, {"Z", 20}, {"99", 20},
	},
}

// ageBands are the share of people, out of 10,000, in each five-year
// age band from 0-4 to 100-104: the shape of England's population, a
// little older, as a hospital's index is.
var ageBands = []int{540, 580, 580, 540, 590, 640, 660, 650, 620, 610, 660, 660, 590, 530, 520, 410, 300, 190, 90, 25, 5}
