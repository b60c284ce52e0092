/* The names clinic-bench gives its patients: the front-desk setup registers them through
 * requests, the generator writes them straight into a database, and the search workload types
 * prefixes of them. ASCII (with apostrophes), so that their search keys are plain lower case. */
#include <stddef.h>

#include "bench.h"

const char *const bench_first_names[] = {
    "Mary",    "Patricia", "Jennifer", "Linda",   "Elizabeth", "Barbara", "Susan",    "Jessica",
    "Sarah",   "Karen",    "Lisa",     "Nancy",   "Betty",     "Sandra",  "Margaret", "Ashley",
    "Emily",   "Donna",    "Michelle", "Carol",   "Amanda",    "Melissa", "Deborah",  "Laura",
    "Rebecca", "Sharon",   "Cynthia",  "Amy",     "Angela",    "Anna",    "Emma",     "Olivia",
    "Sophia",  "Isabella", "Mia",      "Harper",  "Evelyn",    "Grace",   "Hannah",   "Maya",
    "Aaliyah", "Priya",    "Mei",      "Fatima",  "Keiko",     "Lucia",   "Nadia",    "Rosa",
    "James",   "Robert",   "John",     "Michael", "David",     "William", "Richard",  "Joseph",
    "Thomas",  "Charles",  "Daniel",   "Matthew", "Anthony",   "Mark",    "Donald",   "Steven",
    "Paul",    "Andrew",   "Joshua",   "Kenneth", "Kevin",     "Brian",   "George",   "Timothy",
    "Jason",   "Ryan",     "Jacob",    "Gary",    "Nicholas",  "Eric",    "Liam",     "Noah",
    "Ethan",   "Lucas",    "Mason",    "Logan",   "Carlos",    "Luis",    "Ahmed",    "Wei",
    "Hiroshi", "Raj",      "Omar",     "Dmitri",  "Kwame",     "Mateo",   "Samuel",   "Henry",
    "Chloe",   "Zoe",      "Ines",     "Jose",    "Andre",     "Ruben",   "Bjorn",    "Renee"};
const size_t bench_n_first_names = sizeof(bench_first_names) / sizeof(bench_first_names[0]);

const char *const bench_last_names[] = {
    "Smith",      "Johnson",        "Williams", "Brown",     "Jones",      "Garcia",   "Miller",
    "Davis",      "Rodriguez",      "Martinez", "Hernandez", "Lopez",      "Gonzalez", "Wilson",
    "Anderson",   "Thomas",         "Taylor",   "Moore",     "Jackson",    "Martin",   "Lee",
    "Perez",      "Thompson",       "White",    "Harris",    "Sanchez",    "Clark",    "Ramirez",
    "Lewis",      "Robinson",       "Walker",   "Young",     "Allen",      "King",     "Wright",
    "Scott",      "Torres",         "Nguyen",   "Hill",      "Flores",     "Green",    "Adams",
    "Nelson",     "Baker",          "Hall",     "Rivera",    "Campbell",   "Mitchell", "Carter",
    "Roberts",    "Patel",          "Kim",      "Chen",      "Wang",       "O'Brien",  "Murphy",
    "Sullivan",   "Kowalski",       "Schmidt",  "Okafor",    "Cohen",      "Smithson", "Smythe",
    "Fitzgerald", "Nunez",          "Pena",     "Muller",    "Gomez",      "Lefevre",  "Ostergaard",
    "Dvorak",     "Phillips",       "Evans",    "Turner",    "Diaz",       "Parker",   "Cruz",
    "Edwards",    "Collins",        "Reyes",    "Stewart",   "Morris",     "Morales",  "Reed",
    "Cook",       "Morgan",         "Bell",     "Cooper",    "Richardson", "Cox",      "Howard",
    "Ward",       "Peterson",       "Gray",     "Ramos",     "James",      "Watson",   "Brooks",
    "Kelly",      "Sanders",        "Price",    "Bennett",   "Wood",       "Barnes",   "Ross",
    "Henderson",  "Coleman",        "Jenkins",  "Perry",     "Powell",     "Long",     "Patterson",
    "Hughes",     "Washington",     "Butler",   "Simmons",   "Foster",     "Gonzales", "Bryant",
    "Alexander",  "Russell",        "Griffin",  "Hayes",     "Myers",      "Ford",     "Hamilton",
    "Graham",     "Sullivan-Hayes", "Wallace",  "Woods",     "Cole",       "West",     "Jordan"};
const size_t bench_n_last_names = sizeof(bench_last_names) / sizeof(bench_last_names[0]);
