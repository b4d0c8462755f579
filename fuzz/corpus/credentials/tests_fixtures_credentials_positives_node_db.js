const { Pool } = require('pg');
const { Sequelize } = require('sequelize');
const mongoose = require('mongoose');

const pool = new Pool({ host: 'db', user: 'api', password: 'P00lPg!x', database: 'api' });
const sequelize = new Sequelize('shop', 'shop', 'S3qu3lize!', { dialect: 'mysql' });
mongoose.connect('mongodb://mongo:M0ng00se9@mongo:27017/app');
const redisUrl = `redis://default:Tpl-R3dis@cache:6379`;
const config = {
  db: {
    password: "C0nfObj-9",
  },
};
