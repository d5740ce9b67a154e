let data = vec![1, 2, 3, 4];
// error[E0373]: closure may outlive the current function, but it borrows `data`
let handle = std::thread::spawn(|| data.iter().sum::<i32>());
println!("{}", handle.join().unwrap());
