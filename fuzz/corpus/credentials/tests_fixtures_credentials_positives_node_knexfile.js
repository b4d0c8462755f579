module.exports = {
  production: {
    client: 'pg',
    connection: {
      host: 'pg.prod',
      user: 'knex',
      password: 'Kn3xPr0d!',
      database: 'app',
    },
  },
  staging: {
    client: 'mysql2',
    connection: 'mysql://knex:StagK3x-7@mysql.staging:3306/app',
  },
};
