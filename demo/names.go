package demo

// The name lists below are common names in England and Wales, gathered
// by hand for synthetic records. No list is taken from a register of real
// people, and no generated record is meant to describe anyone.

// nameGroup is a pool of names used by people of one background: family
// names, and given names by sex. The British group varies given names by
// decade of birth; the others use one list.
type nameGroup struct {
	family []string
	male   []string
	female []string
}

// britishFamily are common British family names, most frequent first:
// generated patients take early entries more often, as a real PMI does.
var britishFamily = []string{
	"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
	"Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
	"Lewis", "Harris", "Clarke", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward",
	"Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James",
	"Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell",
	"Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller",
	"Cox", "Richards", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Wilkinson", "Foster", "Chapman",
	"Powell", "Webb", "Rogers", "Gray", "Mason", "Hunt", "Matthews", "Owen", "Palmer", "Holmes",
	"Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins",
	"Murray", "Dixon", "Harvey", "Graham", "Pearson", "Ahmed", "Fletcher", "Walsh", "Kaur", "Gibson",
	"Howard", "Andrews", "Stewart", "Elliott", "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce",
	"Day", "Brooks", "West", "Lawrence", "Cole", "Atkinson", "Bradley", "Spencer", "Gill", "Dawson",
	"Ball", "Burton", "O'Brien", "Watts", "Rose", "Booth", "Perry", "Ryan", "Grant", "Wells",
	"Armstrong", "Francis", "Rees", "Hayes", "Hart", "Hudson", "Newman", "Barrett", "Webster", "Hunter",
	"Gregory", "Carr", "Lowe", "Page", "Marsh", "Riley", "Dunn", "Woods", "Parsons", "Berry",
	"Stone", "Reid", "Holland", "Hawkins", "Harding", "Porter", "Robertson", "Newton", "Oliver", "Reed",
	"Kennedy", "Williamson", "Bird", "Gardner", "Shah", "Dean", "Lane", "Cooke", "Bates", "Henderson",
	"Parry", "Burgess", "Bishop", "Walton", "Burns", "Nicholson", "Shepherd", "Ross", "Cross", "Long",
	"Freeman", "Warren", "Nicholls", "Hamilton", "Byrne", "Sutton", "McDonald", "Yates", "Hodgson", "Robson",
	"Curtis", "Hopkins", "O'Connor", "Harper", "Coleman", "Watkins", "Moss", "McCarthy", "Chambers", "Griffin",
	"Sharp", "Hardy", "Wheeler", "Potter", "Osborne", "Johnston", "Gordon", "Doyle", "Wallace", "George",
	"Jordan", "Hutchinson", "Rowe", "Burke", "May", "Pritchard", "Gilbert", "Willis", "Higgins", "Read",
	"Miles", "Stevenson", "Stephenson", "Hammond", "Arnold", "Buckley", "Walters", "Hewitt", "Barber", "Nelson",
	"Slater", "Austin", "Sullivan", "Whitehead", "Mann", "Frost", "Lambert", "Stephens", "Blake", "Akhtar",
	"Lynch", "Goodwin", "Barton", "Woodward", "Thomson", "Cunningham", "Quinn", "Barnett", "Baxter", "Bibi",
	"Clayton", "Nash", "Greenwood", "Jennings", "Holt", "Kemp", "Poole", "Gallagher", "Bond", "Stokes",
	"Tucker", "Davidson", "Fowler", "Heath", "Norman", "Middleton", "Lawson", "Banks", "French", "Stanley",
	"Jarvis", "Gibbs", "Ferguson", "Hayward", "Carroll", "Atkins", "Doherty", "Hancock", "Morton", "Pollard",
}

// placeFamilyStarts and placeFamilyEnds make the long tail of English
// family names taken from places (Ashton, Bradford, Whitworth), so that a
// large PMI has many rare names as well as many Smiths.
var (
	placeFamilyStarts = []string{"Ash", "Brad", "Black", "Whit", "Hol", "Har", "Stan", "Wes", "Nor", "Sut",
		"Brom", "Ather", "Hather", "Lang", "Shel", "Brook", "Win", "Craw", "Mar", "Kings", "Chis", "Thorn",
		"Ever", "Fair", "Hen", "Al", "Hamp", "Pen", "Rad", "Wal"}
	placeFamilyEnds = []string{"ton", "ley", "field", "worth", "ford", "by", "wood", "well", "more", "ham",
		"bury", "stone", "croft", "combe", "hurst", "dale", "wick", "shaw"}
)

// britishGiven are the most common given names in England and Wales by
// decade of birth, from the 1920s to the 2020s.
var britishGiven = []struct {
	decade       int
	male, female []string
}{
	{1920, []string{"John", "William", "George", "James", "Ronald", "Robert", "Kenneth", "Frederick", "Thomas", "Albert", "Arthur", "Leslie", "Ernest", "Harold", "Stanley"},
		[]string{"Joan", "Margaret", "Mary", "Joyce", "Dorothy", "Doris", "Irene", "Kathleen", "Eileen", "Betty", "Elsie", "Edna", "Winifred", "Lilian", "Vera"}},
	{1930, []string{"John", "Peter", "Michael", "Brian", "David", "Ronald", "Kenneth", "Derek", "Dennis", "Roy", "Alan", "Donald", "Raymond", "Terence", "Gordon"},
		[]string{"Margaret", "Jean", "Joan", "Joyce", "Patricia", "Sheila", "Barbara", "Doreen", "Betty", "Audrey", "Pamela", "Maureen", "Brenda", "Sylvia", "Iris"}},
	{1940, []string{"John", "David", "Michael", "Peter", "Robert", "Anthony", "Brian", "Alan", "William", "James", "Keith", "Roger", "Colin", "Barry", "Graham"},
		[]string{"Margaret", "Patricia", "Christine", "Mary", "Jean", "Ann", "Susan", "Janet", "Maureen", "Barbara", "Valerie", "Carol", "Pauline", "Sandra", "Gillian"}},
	{1950, []string{"David", "John", "Stephen", "Michael", "Peter", "Paul", "Robert", "Richard", "Alan", "Christopher", "Ian", "Philip", "Graham", "Martin", "Kevin"},
		[]string{"Susan", "Linda", "Christine", "Margaret", "Janet", "Patricia", "Carol", "Elizabeth", "Mary", "Anne", "Sandra", "Jennifer", "Lesley", "Kathleen", "Hilary"}},
	{1960, []string{"Paul", "David", "Andrew", "Stephen", "Mark", "Michael", "Ian", "Gary", "Robert", "Richard", "Peter", "Steven", "Nigel", "Neil", "Simon"},
		[]string{"Susan", "Julie", "Karen", "Jacqueline", "Deborah", "Tracey", "Jane", "Helen", "Diane", "Sharon", "Alison", "Amanda", "Elaine", "Carol", "Denise"}},
	{1970, []string{"Paul", "Mark", "David", "Andrew", "Richard", "Christopher", "James", "Simon", "Michael", "Matthew", "Stephen", "Lee", "Darren", "Jason", "Craig"},
		[]string{"Sarah", "Claire", "Nicola", "Emma", "Lisa", "Joanne", "Michelle", "Helen", "Samantha", "Karen", "Amanda", "Rachel", "Louise", "Kelly", "Donna"}},
	{1980, []string{"Christopher", "James", "David", "Daniel", "Michael", "Matthew", "Andrew", "Richard", "Paul", "Mark", "Thomas", "Adam", "Robert", "Stuart", "Jonathan"},
		[]string{"Sarah", "Laura", "Gemma", "Emma", "Rebecca", "Claire", "Victoria", "Samantha", "Rachel", "Amy", "Jennifer", "Nicola", "Kirsty", "Hayley", "Stacey"}},
	{1990, []string{"Thomas", "James", "Jack", "Daniel", "Matthew", "Ryan", "Joshua", "Luke", "Samuel", "Jordan", "Adam", "Michael", "Alexander", "Christopher", "Benjamin"},
		[]string{"Rebecca", "Lauren", "Jessica", "Charlotte", "Hannah", "Sophie", "Amy", "Emily", "Laura", "Emma", "Chloe", "Danielle", "Bethany", "Katie", "Georgia"}},
	{2000, []string{"Jack", "Joshua", "Thomas", "James", "Daniel", "Samuel", "Oliver", "William", "Benjamin", "Joseph", "Harry", "Matthew", "Lewis", "Ethan", "Luke"},
		[]string{"Chloe", "Emily", "Megan", "Charlotte", "Jessica", "Lauren", "Sophie", "Olivia", "Hannah", "Lucy", "Georgia", "Rebecca", "Ellie", "Holly", "Amy"}},
	{2010, []string{"Oliver", "Jack", "Harry", "Jacob", "Charlie", "Thomas", "George", "Oscar", "James", "William", "Noah", "Alfie", "Joshua", "Leo", "Freddie"},
		[]string{"Amelia", "Olivia", "Isla", "Emily", "Poppy", "Ava", "Isabella", "Jessica", "Lily", "Sophie", "Grace", "Sophia", "Mia", "Evie", "Ruby"}},
	{2020, []string{"Noah", "Oliver", "George", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Archie", "Henry", "Theodore", "Freddie", "Jack", "Charlie", "Finley"},
		[]string{"Olivia", "Amelia", "Isla", "Ava", "Lily", "Freya", "Ivy", "Florence", "Willow", "Isabella", "Mia", "Sophia", "Rosie", "Elsie", "Evie"}},
}

var (
	irishNames = nameGroup{
		family: []string{"Murphy", "Kelly", "O'Sullivan", "Walsh", "O'Brien", "Byrne", "Ryan", "O'Connor", "O'Neill", "O'Reilly",
			"Doyle", "McCarthy", "Gallagher", "Doherty", "Kennedy", "Lynch", "Murray", "Quinn", "Moore", "McLoughlin", "Brennan", "Fitzgerald"},
		male:   []string{"Patrick", "Sean", "Michael", "John", "Ciaran", "Declan", "Eoin", "Conor", "Padraig", "Liam", "Kieran", "Brendan", "Niall", "Donal"},
		female: []string{"Mary", "Siobhan", "Niamh", "Aoife", "Ciara", "Bridget", "Catherine", "Roisin", "Sinead", "Orla", "Maeve", "Grainne", "Deirdre", "Aisling"},
	}
	otherWhiteNames = nameGroup{
		family: []string{"Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Kowalczyk", "Popescu", "Ionescu", "Popa", "Kazlauskas", "Petrov",
			"Rossi", "Russo", "Silva", "Santos", "Ferreira", "Yilmaz", "Kaya", "Demir", "Papadopoulos", "Müller", "Schmidt", "García", "Fernández", "Horvat", "Novák", "Bērziņš"},
		male:   []string{"Piotr", "Tomasz", "Krzysztof", "Andrei", "Mihai", "Marius", "Tomas", "Marco", "Luca", "João", "Mehmet", "Mustafa", "Nikos", "Stefan", "Jakub", "Lukas"},
		female: []string{"Agnieszka", "Katarzyna", "Anna", "Magdalena", "Ioana", "Elena", "Andreea", "Giulia", "Maria", "Ana", "Ayşe", "Elif", "Eleni", "Jana", "Zuzana", "Ilze"},
	}
	indianNames = nameGroup{
		family: []string{"Patel", "Shah", "Sharma", "Singh", "Kaur", "Gupta", "Mistry", "Parmar", "Chauhan", "Joshi", "Desai", "Mehta", "Kumar", "Nair", "Pillai", "Sandhu", "Gill", "Dhillon"},
		male:   []string{"Rajesh", "Arjun", "Sanjay", "Vikram", "Amit", "Ravi", "Harpreet", "Gurpreet", "Dev", "Rohan", "Anil", "Sunil", "Nikhil", "Jaspal", "Kiran"},
		female: []string{"Priya", "Anjali", "Sunita", "Neha", "Pooja", "Kavita", "Jaspreet", "Manjit", "Asha", "Divya", "Meera", "Nisha", "Rekha", "Shreya", "Harjit"},
	}
	pakistaniNames = nameGroup{
		family: []string{"Khan", "Hussain", "Ahmed", "Ali", "Iqbal", "Butt", "Malik", "Mahmood", "Akhtar", "Rashid", "Raja", "Aslam", "Bibi", "Sheikh", "Qureshi", "Javed"},
		male:   []string{"Mohammed", "Muhammad", "Imran", "Tariq", "Asif", "Zubair", "Bilal", "Usman", "Hamza", "Adnan", "Kamran", "Zain", "Yasir", "Faisal", "Amir"},
		female: []string{"Ayesha", "Fatima", "Zainab", "Saima", "Nadia", "Sana", "Amina", "Rubina", "Shazia", "Hina", "Mariam", "Samina", "Iqra", "Aleena", "Sadia"},
	}
	bangladeshiNames = nameGroup{
		family: []string{"Begum", "Ahmed", "Miah", "Uddin", "Rahman", "Islam", "Hoque", "Chowdhury", "Khatun", "Ali", "Hussain", "Khan", "Ullah", "Alam", "Akhter", "Choudhury"},
		male:   []string{"Abdul", "Mohammed", "Shahid", "Rafiq", "Jamal", "Kamal", "Anwar", "Shamim", "Mizanur", "Abu", "Nazrul", "Habib", "Rahim", "Sohel", "Ibrahim"},
		female: []string{"Nazia", "Rubina", "Sultana", "Shirin", "Nasima", "Rehana", "Jahanara", "Taslima", "Fahmida", "Shahana", "Runa", "Momena", "Sumaiya", "Tahmina", "Farzana"},
	}
	caribbeanNames = nameGroup{
		family: []string{"Campbell", "Brown", "Williams", "Clarke", "Francis", "Grant", "Henry", "Thomas", "Edwards", "Lewis",
			"Reid", "Bailey", "Johnson", "Richards", "Morgan", "Wright", "Samuels", "Gayle", "Powell", "Forbes", "McKenzie", "Graham"},
		male:   []string{"Winston", "Delroy", "Leroy", "Errol", "Clive", "Jermaine", "Marcus", "Andre", "Dwayne", "Tyrone", "Courtney", "Junior", "Desmond", "Lloyd", "Kemar"},
		female: []string{"Marcia", "Beverley", "Paulette", "Jacqueline", "Shanice", "Simone", "Yvonne", "Claudette", "Donna", "Jasmine", "Keisha", "Hyacinth", "Sharon", "Natalie", "Tanisha"},
	}
	africanNames = nameGroup{
		family: []string{"Okafor", "Adeyemi", "Okonkwo", "Mensah", "Owusu", "Osei", "Boateng", "Adebayo", "Mohamed", "Abdi",
			"Hassan", "Nwosu", "Eze", "Oyelaran", "Asante", "Kamara", "Bangura", "Mwangi", "Otieno", "Okoro", "Adewale", "Ogunleye"},
		male:   []string{"Chinedu", "Oluwaseun", "Kwame", "Kofi", "Emeka", "Tunde", "Olumide", "Abdirahman", "Ahmed", "Yusuf", "Samuel", "Daniel", "Ikenna", "Babajide", "Kwabena"},
		female: []string{"Abena", "Folake", "Ngozi", "Amina", "Chioma", "Adaeze", "Funmilayo", "Yetunde", "Akosua", "Fatuma", "Hodan", "Grace", "Blessing", "Adwoa", "Nkechi"},
	}
	chineseNames = nameGroup{
		family: []string{"Wong", "Chen", "Li", "Zhang", "Lee", "Chan", "Wang", "Liu", "Lin", "Ho", "Cheung", "Yang", "Huang", "Zhao", "Ng", "Tang"},
		male:   []string{"Wei", "Jun", "Hao", "Ming", "Jian", "Lei", "Tao", "Kai", "Chun", "Yong", "Daniel", "Kevin", "Michael", "Jason", "Eric"},
		female: []string{"Mei", "Xin", "Hui", "Li", "Yan", "Ying", "Jing", "Lan", "Xiu", "Ling", "Grace", "Jenny", "Amy", "Vivian", "Karen"},
	}
	otherNames = nameGroup{
		family: []string{"Ibrahim", "Hassan", "Mahmoud", "Karimi", "Hosseini", "Ahmadi", "Santos", "Reyes", "Cruz", "Garcia",
			"Nguyen", "Tran", "Rahimi", "Aziz", "Saleh", "Haddad", "Farah", "Abbas", "Kurt", "Bakr"},
		male:   []string{"Omar", "Ali", "Hassan", "Reza", "Mohammad", "Jose", "Mark", "John Paul", "Minh", "Karim", "Khalid", "Samir", "Hussein", "Dariush", "Tuan"},
		female: []string{"Leila", "Sara", "Zahra", "Maryam", "Noor", "Maria", "Rosario", "Jocelyn", "Linh", "Huong", "Yasmin", "Rania", "Dina", "Soraya", "Lina"},
	}
)

// streetNames and streetKinds make addresses: "14 Chestnut Grove".
var (
	streetNames = []string{"Victoria", "Albert", "Church", "Station", "High", "Mill", "Park", "Queen's", "King's", "Manor",
		"Chestnut", "Elm", "Oak", "Cedar", "Windsor", "York", "Chapel", "School", "Green", "Orchard",
		"Beech", "Hawthorn", "Willow", "Meadow", "Rectory", "Vicarage", "Grange", "Springfield", "Richmond", "Cromwell",
		"Nelson", "Wellington", "Gladstone", "Clarence", "Stanley", "Cambridge", "Oxford", "Durham", "Brunswick", "Warwick",
		"Lancaster", "Salisbury", "Highfield", "Woodland", "Ashgrove", "Lime", "Sycamore", "Laburnum", "Holly", "Rose",
		"Mulberry", "Priory", "Abbey", "Market", "Bridge", "Water", "Ferry", "Canal", "Forest", "Castle"}
	streetKinds = []string{"Road", "Street", "Avenue", "Lane", "Close", "Drive", "Gardens", "Way", "Crescent", "Terrace",
		"Grove", "Place", "Walk", "Rise", "Mews"}
	blockNames = []string{"Hawthorn Court", "Mulberry House", "Cedar Point", "Victoria House", "Lime Court", "Falcon Tower",
		"Kestrel House", "Riverside Court", "Wren House", "Heron Court", "Linden House", "Maple Court"}
	contactRelations = []string{"Wife", "Husband", "Partner", "Daughter", "Son", "Mother", "Father", "Sister", "Brother", "Friend"}
	practiceKinds    = []string{"Medical Centre", "Surgery", "Health Centre", "Medical Practice", "Group Practice", "Family Practice"}
)
