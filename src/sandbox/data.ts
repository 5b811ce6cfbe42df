/** Deterministic demo records for the sandbox APIs. */
const FIRST = [
  "Ada",
  "Grace",
  "Alan",
  "Katherine",
  "Linus",
  "Margaret",
  "Tim",
  "Barbara",
  "Dennis",
  "Radia",
  "Ken",
  "Frances",
];
const LAST = [
  "Lovelace",
  "Hopper",
  "Turing",
  "Johnson",
  "Torvalds",
  "Hamilton",
  "Berners-Lee",
  "Liskov",
  "Ritchie",
  "Perlman",
  "Thompson",
  "Allen",
];
const DEPARTMENTS = ["Engineering", "Finance", "People", "Sales", "Support"];

export const EMPLOYEES = Array.from({ length: 24 }, (_, i) => ({
  id: `emp_${String(i + 1).padStart(3, "0")}`,
  first_name: FIRST[i % FIRST.length]!,
  last_name: LAST[(i * 5) % LAST.length]!,
  work_email: `${FIRST[i % FIRST.length]!.toLowerCase()}.${i + 1}@sandbox.example`,
  department: DEPARTMENTS[i % DEPARTMENTS.length]!,
  employment_status: i % 11 === 10 ? "terminated" : "active",
  start_date: `20${String(15 + (i % 10)).padStart(2, "0")}-0${1 + (i % 9)}-15`,
}));

export const JOBS = ["Backend Engineer", "Product Designer", "Account Executive", "Support Specialist"].map(
  (title, i) => ({
    id: `job_${i + 1}`,
    title,
    status: i === 3 ? "closed" : "open",
    department: DEPARTMENTS[i % DEPARTMENTS.length]!,
  }),
);

export const CANDIDATES = Array.from({ length: 8 }, (_, i) => ({
  id: `cand_${i + 1}`,
  name: `${FIRST[(i + 3) % FIRST.length]} ${LAST[(i + 7) % LAST.length]}`,
  job_id: `job_${(i % 4) + 1}`,
  stage: ["applied", "screen", "interview", "offer"][i % 4],
}));

export const CONTACTS = Array.from({ length: 6 }, (_, i) => ({
  id: `con_${i + 1}`,
  name: `${FIRST[(i + 5) % FIRST.length]} ${LAST[(i + 2) % LAST.length]}`,
  company: ["Initech", "Globex", "Umbrella", "Hooli", "Acme", "Stark"][i],
  email: `contact${i + 1}@sandbox.example`,
}));
